//! Pinyin as people type it into a search box: a run of letters with no syllable breaks
//! (`jisengongying`, `jsgy`), cut into the syllable grams the name's syllable field holds.
//!
//! A name's syllable field ([`super::pinyin::syllable_grams`]) holds, at every character,
//! the syllables of that character and the next joined (`jisen` at 基, `sengong` at 森 …)
//! and their initials (`=js`, `=sg` …). Typed letters become a phrase of such grams at
//! consecutive offsets, so they match any run of the name's syllables, wherever jieba put
//! its word boundaries. Grams of two syllables rather than single syllables keep the
//! phrase selective: `ji` is in a fifth of all names, `jisen` in a handful.
//!
//! Letters can often be cut into syllables more than one way (`xian`: xian or xi'an,
//! `fangan`: fang'an or fan'gan); every way is a separate phrase, any of which may match.

/// Toneless syllables of Mandarin as the converter writes them (ü as v). Interjection-only
/// syllables (m, n, ng, hm, hng) are left out: as typed letters they are initials.
const SYLLABLES: &str = "a ai an ang ao \
ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu \
ca cai can cang cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu \
chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo \
da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo \
e ei en eng er fa fan fang fei fen feng fo fou fu \
ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo \
ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo \
ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun \
ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo \
la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan \
lun luo lv lue \
ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu \
na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun \
nuo nv nue o ou \
pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu \
qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun \
ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo \
sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu \
shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo \
ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo \
wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun \
ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun \
za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong \
zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo";

/// The longest syllable (`chuang`, `shuang`, `zhuang`).
const MAX_SYLLABLE: usize = 6;

/// Ways of cutting one typed run into syllables that are tried; more are very rare (a
/// 20-letter run of ambiguous syllables) and each way costs a phrase query.
const MAX_CUTS: usize = 8;

/// Typed runs longer than this are not cut (nobody types a 40-letter name, and the number
/// of ways grows with the length).
const MAX_TYPED: usize = 40;

/// Typed runs longer than this are not read as initials: the initials of a whole name with
/// its legal form are about ten letters, and a longer run is full pinyin.
const MAX_INITIALS: usize = 12;

/// Marks an initials gram, so `=hw` (华为's initials) is never the syllables of a name.
pub const INITIALS_MARK: char = '=';

fn is_syllable(s: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::LazyLock;
    static ALL: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| SYLLABLES.split_whitespace().collect());
    ALL.contains(s)
}

/// The ways of cutting lower-case `letters` into whole syllables (at most [`MAX_CUTS`],
/// fewest syllables first); empty when the letters are not pinyin.
pub fn syllable_cuts(letters: &str) -> Vec<Vec<&str>> {
    if letters.is_empty()
        || letters.len() > MAX_TYPED
        || !letters.bytes().all(|b| b.is_ascii_lowercase())
    {
        return Vec::new();
    }
    // ends[i]: the syllables that start at byte i and can be continued to the end.
    let n = letters.len();
    let mut ends: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    let mut reachable = vec![false; n + 1];
    reachable[n] = true;
    for i in (0..n).rev() {
        for len in 1..=MAX_SYLLABLE.min(n - i) {
            if reachable[i + len] && is_syllable(&letters[i..i + len]) {
                ends[i].push(i + len);
                reachable[i] = true;
            }
        }
    }
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(letters, 0, &ends, &mut path, &mut out);
    out.sort_by_key(Vec::len);
    out
}

fn walk<'a>(
    letters: &'a str,
    at: usize,
    ends: &[Vec<usize>],
    path: &mut Vec<&'a str>,
    out: &mut Vec<Vec<&'a str>>,
) {
    if out.len() >= MAX_CUTS {
        return;
    }
    if at == letters.len() {
        out.push(path.clone());
        return;
    }
    // Longest syllable first: the usual reading of a run comes out first.
    for &end in ends[at].iter().rev() {
        path.push(&letters[at..end]);
        walk(letters, end, ends, path, out);
        path.pop();
    }
}

/// The grams of typed pinyin, each a phrase: (offset, gram). One phrase per way of
/// cutting the letters into two or more syllables, and one for the letters read as
/// initials (two to [`MAX_INITIALS`] letters). A single syllable has no gram (it is matched as a word).
pub fn typed_grams(letters: &str) -> Vec<Vec<(usize, String)>> {
    let mut out: Vec<Vec<(usize, String)>> = syllable_cuts(letters)
        .into_iter()
        .filter(|cut| cut.len() >= 2)
        .map(|cut| {
            cut.windows(2)
                .enumerate()
                .map(|(i, w)| (i, format!("{}{}", w[0], w[1])))
                .collect()
        })
        .collect();
    if letters.len() >= 2
        && letters.len() <= MAX_INITIALS
        && letters.bytes().all(|b| b.is_ascii_lowercase())
    {
        let bytes = letters.as_bytes();
        out.push(
            bytes
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    (
                        i,
                        format!("{INITIALS_MARK}{}{}", w[0] as char, w[1] as char),
                    )
                })
                .collect(),
        );
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_runs_cut_into_syllables_every_way() {
        assert_eq!(
            syllable_cuts("jisengongying"),
            vec![vec!["ji", "sen", "gong", "ying"]]
        );
        let xian = syllable_cuts("xian");
        assert!(
            xian.contains(&vec!["xian"]) && xian.contains(&vec!["xi", "an"]),
            "{xian:?}"
        );
        let fangan = syllable_cuts("fangan");
        assert!(
            fangan.contains(&vec!["fang", "an"]) && fangan.contains(&vec!["fan", "gan"]),
            "{fangan:?}"
        );
        assert!(syllable_cuts("hwkj").is_empty());
        assert!(syllable_cuts("abc-1").is_empty());
        assert!(syllable_cuts(&"a".repeat(MAX_TYPED + 1)).is_empty());
        // every letter an 'a' syllable: many ways, but a bounded number is tried
        assert!(syllable_cuts(&"ana".repeat(10)).len() <= MAX_CUTS);
    }

    #[test]
    fn grams_of_syllables_and_of_initials() {
        let g = typed_grams("guizhengdianzi");
        assert!(g.contains(&vec![
            (0, "guizheng".to_owned()),
            (1, "zhengdian".to_owned()),
            (2, "dianzi".to_owned())
        ]));
        // gui zheng di an zi too; and 14 letters are full pinyin, not initials
        assert_eq!(g.len(), 2, "{g:?}");
        assert!(
            !g.iter()
                .flatten()
                .any(|(_, t)| t.starts_with(INITIALS_MARK))
        );
        let g = typed_grams("hwkjyxgs");
        assert!(g.contains(&vec![
            (0, "=hw".to_owned()),
            (1, "=wk".to_owned()),
            (2, "=kj".to_owned()),
            (3, "=jy".to_owned()),
            (4, "=yx".to_owned()),
            (5, "=xg".to_owned()),
            (6, "=gs".to_owned()),
        ]));
        assert_eq!(
            typed_grams("jsgy"),
            vec![vec![
                (0, "=js".to_owned()),
                (1, "=sg".to_owned()),
                (2, "=gy".to_owned())
            ]]
        );
        // one syllable: no syllable gram, only its letters as initials
        assert_eq!(typed_grams("sen").len(), 1);
        assert!(typed_grams("x").is_empty());
    }
}

//! Readings of Chinese characters in company names, from the word around them.
//!
//! pinyin-converter reads a text by its longest dictionary words (重庆 → chongqing, 银行 →
//! yinhang), and a character outside any of its words by its surname reading (乐 → yue,
//! 种 → chong, 单 → shan), which is wrong in a company name: 乐润物流 is lerun, 湾茂种业
//! is zhongye. So a character read alone takes its usual reading instead, and the words of
//! `readings.tsv` (种业 → zhong ye, 乐清 → yue qing, 车行 → che hang …) take precedence over
//! the converter's words, longest first. `readings_cases.tsv` pins every line with names
//! written by hand.

use std::collections::HashMap;
use std::sync::LazyLock;

struct Table {
    words: HashMap<Vec<char>, Vec<String>>,
    longest: usize,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut words = HashMap::new();
    let mut longest = 1;
    for line in include_str!("readings.tsv").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (word, reading) = line
            .split_once('\t')
            .expect("readings.tsv: word TAB reading");
        let chars: Vec<char> = word.chars().collect();
        let syllables: Vec<String> = reading.split_whitespace().map(str::to_owned).collect();
        assert_eq!(
            chars.len(),
            syllables.len(),
            "readings.tsv: {word} needs one syllable per character"
        );
        longest = longest.max(chars.len());
        words.insert(chars, syllables);
    }
    Table { words, longest }
});

/// The usual toneless reading of a character read on its own: `readings.tsv` when it
/// lists the character, else the first reading of the converter's character table.
pub(super) fn lone(c: char) -> Option<String> {
    if let Some(r) = TABLE.words.get(&vec![c]) {
        return Some(r[0].clone());
    }
    let s = c.to_string();
    let reading = pinyin::Pinyin::chars(&s).without_tone().yu_to_v();
    reading.iter().next()
}

/// Overwrites the syllables of `chars` covered by a word of `readings.tsv` (two or more
/// characters), longest word first from the left.
pub(super) fn apply_words(chars: &[char], syllables: &mut [Option<String>]) {
    let mut i = 0;
    while i < chars.len() {
        let max = TABLE.longest.min(chars.len() - i);
        let hit = (2..=max)
            .rev()
            .find_map(|len| TABLE.words.get(&chars[i..i + len]).map(|r| (len, r)));
        match hit {
            Some((len, reading)) => {
                for (slot, s) in syllables[i..i + len].iter_mut().zip(reading) {
                    *slot = Some(s.clone());
                }
                i += len;
            }
            None => i += 1,
        }
    }
}

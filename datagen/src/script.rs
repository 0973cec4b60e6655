//! Simplified or traditional characters. Free text is assembled from static word lists and
//! templates; each list converts itself to traditional once (through hanconv), so writing a
//! record in traditional characters costs no more than writing it in simplified ones.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::rng::Rng;

/// Which characters a record is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Simplified,
    Traditional,
}

/// A static list of words or templates with its lazily built traditional form.
#[derive(Debug)]
pub(crate) struct Words {
    simplified: Cow<'static, [&'static str]>,
    traditional: OnceLock<Vec<String>>,
}

impl Words {
    pub const fn new(simplified: &'static [&'static str]) -> Self {
        Words {
            simplified: Cow::Borrowed(simplified),
            traditional: OnceLock::new(),
        }
    }

    /// A list built at run time.
    pub fn from_vec(simplified: Vec<&'static str>) -> Self {
        Words {
            simplified: Cow::Owned(simplified),
            traditional: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.simplified.len()
    }

    pub fn simplified(&self) -> &[&'static str] {
        &self.simplified
    }

    pub fn get(&self, i: usize, script: Script) -> &str {
        match script {
            Script::Simplified => self.simplified[i],
            Script::Traditional => &self
                .traditional
                .get_or_init(|| self.simplified.iter().map(hanconv::s2t).collect())[i],
        }
    }

    pub fn pick(&self, rng: &mut Rng, script: Script) -> &str {
        self.get(rng.below(self.len()), script)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_forms_are_built_once_and_fold_back() {
        static W: Words = Words::new(&["苏州", "质量问题，{p}无法开机", "5G"]);
        assert_eq!(W.get(0, Script::Traditional), "蘇州");
        assert_eq!(W.get(1, Script::Traditional), "質量問題，{p}無法開機");
        assert_eq!(W.get(2, Script::Traditional), "5G");
        assert_eq!(W.get(0, Script::Simplified), "苏州");
        for i in 0..W.len() {
            assert_eq!(
                kesou_domain::text::to_simplified(W.get(i, Script::Traditional)),
                W.get(i, Script::Simplified)
            );
        }
    }
}

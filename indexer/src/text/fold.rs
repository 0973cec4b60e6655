//! Folding before segmentation: full-width to half-width, traditional to simplified, and a
//! map from folded characters back to byte offsets of the original text, so that tokens
//! (and therefore highlights) point into what the user wrote.

use kesou_domain::text::{to_halfwidth, to_simplified};

/// Text folded for matching, with the original byte offset of every folded character.
#[derive(Debug)]
pub struct Folded {
    pub text: String,
    /// `offsets[i]` is the byte offset in the original text of folded character `i`;
    /// one extra entry holds the original length.
    offsets: Vec<usize>,
}

impl Folded {
    pub fn new(original: &str) -> Self {
        let half = to_halfwidth(original);
        let simple = to_simplified(&half);
        let mut offsets: Vec<usize> = original.char_indices().map(|(b, _)| b).collect();
        let text = if simple.chars().count() == offsets.len() {
            simple.into_owned()
        } else {
            // A phrase conversion changed the length: fold character by character, which
            // keeps the alignment at the price of context.
            half.chars()
                .map(|c| to_simplified(c.encode_utf8(&mut [0; 4])).into_owned())
                .collect::<String>()
        };
        offsets.push(original.len());
        debug_assert_eq!(text.chars().count() + 1, offsets.len());
        Self { text, offsets }
    }

    /// Original byte range of folded characters `start..end`.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let last = self.offsets.len() - 1;
        (self.offsets[start.min(last)], self.offsets[end.min(last)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_keeps_original_offsets() {
        let f = Folded::new("華為ＡＢＣ公司");
        assert_eq!(f.text, "华为ABC公司");
        assert_eq!(f.original_range(0, 2), (0, 6));
        assert_eq!(f.original_range(2, 5), (6, 15));
        assert_eq!(f.original_range(5, 7), (15, 21));
    }
}

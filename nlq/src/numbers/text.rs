//! What the number scanner asks of a char beyond the shared fold
//! ([`kesou_domain::text::Folded`] with [`kesou_domain::text::Fold::WIDTH`]: each char
//! half width, with its byte offsets, so that spans always point into what the user typed).

/// Chinese and other wide scripts: text that glued English unit letters must not run into.
pub(super) fn is_cjk(c: char) -> bool {
    c >= '\u{2E80}'
}

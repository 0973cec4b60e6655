//! The bounds on every number a request carries into the engine: how deep a page may start,
//! how long it may be, how many rows an explicit top-N or a lookalike search may rank. The
//! engine checks them itself (whoever calls it: the server, the command line, a test), so a
//! number past them is a user error naming the bound, never an allocation the size of the
//! number: tantivy's collectors and the lookalike ranker reserve `offset + limit` slots up
//! front, and one request with `offset: 10000000000000` used to abort the process.

use crate::{Error, Result};

/// Deepest row a page may start at (as Elasticsearch's `max_result_window`): people narrow a
/// question long before they page this far; exports take every row without paging.
pub const MAX_OFFSET: usize = 10_000;
/// Longest page of rows.
pub const MAX_PAGE: usize = 1_000;
/// Most rows one answer ranks or returns: an explicit top-N, an export, every row of a list.
pub const MAX_ROWS: usize = 100_000;

/// A user error unless `offset` is within [`MAX_OFFSET`].
pub fn check_offset(offset: usize) -> Result<()> {
    if offset > MAX_OFFSET {
        return Err(Error::BadRequest(format!(
            "offset {offset} is past the deepest page ({MAX_OFFSET}); narrow the question or export every row"
        )));
    }
    Ok(())
}

/// A user error unless `n` rows (`what`: a page, a top-N, k) is between 1 and `max`.
pub fn check_count(what: &str, n: usize, max: usize) -> Result<()> {
    if n == 0 || n > max {
        return Err(Error::BadRequest(format!(
            "{what} must be between 1 and {max} (got {n})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_past_the_bounds_are_user_errors() {
        assert!(check_offset(MAX_OFFSET).is_ok());
        for n in [MAX_OFFSET + 1, usize::MAX, 1 << 63] {
            let e = check_offset(n).unwrap_err();
            assert!(e.is_user_error() && e.to_string().contains("10000"), "{e}");
        }
        assert!(check_count("limit", 0, 10).is_err());
        assert!(check_count("limit", 11, 10).is_err());
        assert!(check_count("limit", 10, 10).is_ok());
    }
}

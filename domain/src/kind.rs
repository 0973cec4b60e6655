//! Whose fault an error is, in one closed set every crate's error maps onto with `kind()`.
//!
//! The HTTP status, the API's `error.code` and the command line's exit code all derive from
//! the [`Kind`] here, in one table, so that the server and the command line cannot disagree
//! on whether a full disk is the user's doing (meilisearch's `ErrorCode` does the same).
//! An I/O error is classified by what happened ([`Kind::of_io`]), not by which crate met it.

/// What kind of error: the user's to fix (bad input, a thing that is not there, not logged
/// in, not allowed, too much, too fast, someone else's) or a fault (the machine, a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Malformed input, a missing or wrong field, a bad filter or configuration.
    BadRequest,
    /// A question of which nothing was understood.
    BadQuestion,
    /// A body or a question over the limits.
    TooLarge,
    /// What was named does not exist: a customer, a report, an input file.
    NotFound,
    /// Not logged in, a wrong password, an ended session, a bad or expired token.
    Unauthorized,
    /// Logged in, but the role may not do this.
    Forbidden,
    /// Too many wrong passwords: the account is locked for a while.
    Locked,
    /// Too many requests in a short time.
    RateLimited,
    /// It would overwrite what someone else owns, or another process holds it.
    Conflict,
    /// The machine failed: a disk full, a file the process may not read, an I/O error.
    System,
    /// A fault in kesou or its store: a bug, a damaged index.
    Internal,
}

/// How the operating system says that the disk, a permission or the device failed (its
/// `strerror` words, which DuckDB passes on in its messages).
const OS_FAILURES: &[&str] = &[
    "No space left on device",
    "Disk quota exceeded",
    "Permission denied",
    "Operation not permitted",
    "Read-only file system",
    "Input/output error",
];

impl Kind {
    /// Every kind, for tables and tests.
    pub const ALL: [Kind; 11] = [
        Kind::BadRequest,
        Kind::BadQuestion,
        Kind::TooLarge,
        Kind::NotFound,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::Locked,
        Kind::RateLimited,
        Kind::Conflict,
        Kind::System,
        Kind::Internal,
    ];

    /// The row of the table: (HTTP status, API `error.code`, exit code). A fault of the
    /// machine answers the client as `internal` too: what failed is in the server's log.
    pub const fn row(self) -> (u16, &'static str, u8) {
        match self {
            Kind::BadRequest => (400, "bad_request", 2),
            Kind::BadQuestion => (422, "bad_question", 2),
            Kind::TooLarge => (413, "too_large", 2),
            Kind::NotFound => (404, "not_found", 2),
            Kind::Unauthorized => (401, "unauthorized", 2),
            Kind::Forbidden => (403, "forbidden", 2),
            Kind::Locked => (423, "locked", 2),
            Kind::RateLimited => (429, "rate_limited", 2),
            Kind::Conflict => (409, "conflict", 2),
            Kind::System => (500, "internal", 1),
            Kind::Internal => (500, "internal", 1),
        }
    }

    /// The HTTP status the server answers with.
    pub const fn status(self) -> u16 {
        self.row().0
    }

    /// The stable `error.code` of the API.
    pub const fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The command line's exit code: 2 for the user's to fix, 1 for a fault.
    pub const fn exit_code(self) -> u8 {
        self.row().2
    }

    /// The kind an API `error.code` stands for (the command line reading a server's
    /// refusal); a code it does not know is a fault.
    pub fn of_code(code: &str) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == code)
            .unwrap_or(Kind::Internal)
    }

    /// Whether the user can fix it (rather than a fault, whose detail stays in the log).
    pub const fn is_user(self) -> bool {
        !matches!(self, Kind::System | Kind::Internal)
    }

    /// An I/O error by what happened: a file that is not there is the user's (they named
    /// it); a permission refused, a full disk or anything else is the machine's.
    pub fn of_io(e: &std::io::Error) -> Kind {
        match e.kind() {
            std::io::ErrorKind::NotFound => Kind::NotFound,
            _ => Kind::System,
        }
    }

    /// An engine's error (DuckDB, tantivy) by its cause: the machine's when an I/O error
    /// caused it (`io`, when the engine keeps one) or the operating system's words for one
    /// are in its `message` (DuckDB keeps only the text); otherwise a fault of kesou or its
    /// store. Never the user's: a file an engine misses is a damaged store, not a name the
    /// user gave.
    pub fn of_engine(io: Option<&std::io::Error>, message: &str) -> Kind {
        if io.is_some() || OS_FAILURES.iter().any(|words| message.contains(words)) {
            Kind::System
        } else {
            Kind::Internal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn users_errors_exit_2_and_are_4xx_faults_exit_1_and_are_500() {
        for k in Kind::ALL {
            let (status, code, exit) = k.row();
            assert!(!code.is_empty());
            if k.is_user() {
                assert_eq!(exit, 2, "{k:?}");
                assert!((400..500).contains(&status), "{k:?}");
            } else {
                assert_eq!((exit, status, code), (1, 500, "internal"), "{k:?}");
            }
        }
    }

    #[test]
    fn a_code_reads_back_as_its_kind() {
        for k in Kind::ALL.into_iter().filter(|k| k.is_user()) {
            assert_eq!(Kind::of_code(k.as_str()), k);
        }
        assert_eq!(Kind::of_code("internal").exit_code(), 1);
        assert_eq!(Kind::of_code("no such code"), Kind::Internal);
    }

    #[test]
    fn io_is_classified_by_what_happened() {
        assert_eq!(
            Kind::of_io(&Error::from(ErrorKind::NotFound)),
            Kind::NotFound
        );
        assert_eq!(
            Kind::of_io(&Error::from(ErrorKind::PermissionDenied)),
            Kind::System
        );
        // a full disk, as the OS says it (ENOSPC) and as std names it
        assert_eq!(Kind::of_io(&Error::from_raw_os_error(28)), Kind::System);
        assert_eq!(
            Kind::of_io(&Error::from(ErrorKind::StorageFull)),
            Kind::System
        );
        assert_eq!(Kind::of_io(&Error::other("eio")), Kind::System);
    }

    #[test]
    fn engines_are_classified_by_their_io_cause() {
        let full = Error::from_raw_os_error(28);
        assert_eq!(Kind::of_engine(Some(&full), "index: io"), Kind::System);
        assert_eq!(
            Kind::of_engine(None, &format!("IO Error: Could not write file: {full}")),
            Kind::System
        );
        assert_eq!(
            Kind::of_engine(None, "IO Error: Cannot open file \"x\": Permission denied"),
            Kind::System
        );
        assert_eq!(
            Kind::of_engine(None, "Parser Error: syntax error at or near \"this\""),
            Kind::Internal
        );
    }
}

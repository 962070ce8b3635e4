//! Classification of `/iclock/...` requests by method, path and query.
//!
//! Clocks always use the same few endpoints under `/iclock/`. Some firmware
//! appends `.aspx` to the last path segment (`/iclock/getrequest.aspx`) and
//! some doubles the prefix (`/iclock/iclock/cdata`), so only the last two
//! path segments are read.

use super::query::Query;

/// An uploaded table, from the `table` parameter of `POST /iclock/cdata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Table {
    /// `ATTLOG`: attendance records (punches).
    AttLog,
    /// `OPERLOG`: operation log lines and user records.
    OperLog,
    /// `ATTPHOTO`: photos taken at a punch.
    AttPhoto,
    /// Any other table, named as the clock sent it.
    Other(String),
}

impl Table {
    /// Maps a `table` value to a table, matching without regard to ASCII case.
    pub fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case("ATTLOG") {
            Self::AttLog
        } else if name.eq_ignore_ascii_case("OPERLOG") {
            Self::OperLog
        } else if name.eq_ignore_ascii_case("ATTPHOTO") {
            Self::AttPhoto
        } else {
            Self::Other(name.to_owned())
        }
    }
}

/// Kind of a clock request, with the reply it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `GET /iclock/cdata`: the clock requests its options. Reply with
    /// [`handshake_reply`](super::handshake_reply).
    Handshake,
    /// `POST /iclock/cdata?table=...`: the clock uploads records. Reply with
    /// [`ok_count`](super::ok_count) for `ATTLOG` and [`ok`](super::ok)
    /// otherwise, after the records are stored.
    Upload {
        /// The uploaded table.
        table: Table,
        /// The batch's `Stamp` parameter, when it is a whole number.
        stamp: Option<u64>,
    },
    /// `GET /iclock/getrequest`: the clock polls for commands. Reply with
    /// [`command_lines`](super::command_lines).
    GetRequest,
    /// `POST /iclock/devicecmd`: the clock reports command results. Reply
    /// with [`ok`](super::ok).
    DeviceCmdResult,
    /// `GET /iclock/ping`: a keep-alive that newer firmware sends during long
    /// uploads. Reply with [`ok`](super::ok).
    Ping,
    /// Anything else, such as `/iclock/rtdata` or `/iclock/registry` from
    /// access-control firmware.
    Unknown,
}

/// Classifies a request from its method, path and parsed query.
///
/// `method` is matched exactly (`GET`, `POST`) because HTTP methods are case
/// sensitive. `path` may still carry a query part, which is ignored. A
/// `POST /iclock/cdata` without a `table` parameter is `Unknown`.
pub fn classify(method: &str, path: &str, query: &Query) -> Request {
    let Some(endpoint) = endpoint(path) else {
        return Request::Unknown;
    };

    match (method, endpoint.as_str()) {
        ("GET", "cdata") => Request::Handshake,
        ("POST", "cdata") => match &query.table {
            Some(table) => Request::Upload {
                table: Table::from_name(table),
                stamp: query.stamp,
            },
            None => Request::Unknown,
        },
        ("GET", "getrequest") => Request::GetRequest,
        ("POST", "devicecmd") => Request::DeviceCmdResult,
        ("GET", "ping") => Request::Ping,
        _ => Request::Unknown,
    }
}

/// Returns the lowercased last path segment without `.aspx` when the segment
/// before it is `iclock`.
fn endpoint(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_suffix('/').unwrap_or(path);

    let mut segments = path.rsplit('/');
    let last = segments.next()?.to_ascii_lowercase();
    let parent = segments.next()?;
    if !parent.eq_ignore_ascii_case("iclock") {
        return None;
    }

    let last = last.strip_suffix(".aspx").unwrap_or(&last);
    Some(last.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::query::parse_query;
    use super::*;

    fn classify_raw(method: &str, path: &str, raw_query: &str) -> Request {
        let query = parse_query(raw_query).unwrap();
        classify(method, path, &query)
    }

    #[test]
    fn classify_handshake() {
        let request = classify_raw(
            "GET",
            "/iclock/cdata",
            "SN=A1&options=all&pushver=2.4.1&language=83",
        );
        assert_eq!(request, Request::Handshake);
    }

    #[test]
    fn classify_uploads() {
        assert_eq!(
            classify_raw("POST", "/iclock/cdata", "SN=A1&table=ATTLOG&Stamp=9999"),
            Request::Upload {
                table: Table::AttLog,
                stamp: Some(9999)
            }
        );
        assert_eq!(
            classify_raw("POST", "/iclock/cdata", "SN=A1&table=OPERLOG&Stamp=12"),
            Request::Upload {
                table: Table::OperLog,
                stamp: Some(12)
            }
        );
        assert_eq!(
            classify_raw("POST", "/iclock/cdata", "SN=A1&table=ATTPHOTO"),
            Request::Upload {
                table: Table::AttPhoto,
                stamp: None
            }
        );
        assert_eq!(
            classify_raw("POST", "/iclock/cdata", "SN=A1&table=options"),
            Request::Upload {
                table: Table::Other("options".to_owned()),
                stamp: None
            }
        );
    }

    #[test]
    fn classify_upload_without_table() {
        assert_eq!(
            classify_raw("POST", "/iclock/cdata", "SN=A1"),
            Request::Unknown
        );
    }

    #[test]
    fn classify_polls_and_results() {
        assert_eq!(
            classify_raw("GET", "/iclock/getrequest", "SN=A1"),
            Request::GetRequest
        );
        assert_eq!(
            classify_raw("POST", "/iclock/devicecmd", "SN=A1"),
            Request::DeviceCmdResult
        );
        assert_eq!(classify_raw("GET", "/iclock/ping", "SN=A1"), Request::Ping);
    }

    #[test]
    fn classify_path_variants() {
        assert_eq!(
            classify_raw("GET", "/iclock/getrequest.aspx", "SN=A1"),
            Request::GetRequest
        );
        assert_eq!(
            classify_raw("GET", "/iclock/iclock/cdata", "SN=A1"),
            Request::Handshake
        );
        assert_eq!(
            classify_raw("GET", "/iclock/cdata/", "SN=A1"),
            Request::Handshake
        );
        assert_eq!(
            classify_raw("GET", "/iclock/cdata?SN=A1", "SN=A1"),
            Request::Handshake
        );
        assert_eq!(
            classify_raw("GET", "/ICLOCK/CData", "SN=A1"),
            Request::Handshake
        );
    }

    #[test]
    fn classify_unknown() {
        for (method, path) in [
            ("GET", "/cdata"),
            ("GET", "/other/cdata"),
            ("get", "/iclock/cdata"),
            ("PUT", "/iclock/cdata"),
            ("POST", "/iclock/getrequest"),
            ("GET", "/iclock/devicecmd"),
            ("GET", "/iclock/rtdata"),
            ("POST", "/iclock/registry"),
            ("GET", ""),
            ("GET", "/"),
        ] {
            assert_eq!(
                classify_raw(method, path, "SN=A1"),
                Request::Unknown,
                "{method} {path}"
            );
        }
    }
}

//! ZKTeco ADMS ("iclock") push protocol: the pure protocol core.
//!
//! ZKTeco attendance clocks with the PUSH firmware (face and fingerprint
//! models set to an ADMS server) open HTTP requests to the server. The server
//! never connects to them. One clock session looks like this:
//!
//! ```text
//! clock                                              server
//! GET  /iclock/cdata?SN=X&options=all&pushver=2.4.1  -> GET OPTION FROM: X / ATTLOGStamp=... (options)
//! POST /iclock/cdata?SN=X&table=ATTLOG&Stamp=N       -> OK: <records stored>
//! POST /iclock/cdata?SN=X&table=OPERLOG&Stamp=N      -> OK
//! GET  /iclock/getrequest?SN=X                       -> OK, or C:<id>:<command> lines
//! POST /iclock/devicecmd?SN=X  (ID=..&Return=..)     -> OK
//! ```
//!
//! This module parses query strings and bodies and builds reply bodies. It
//! does no I/O and reads no clock: the HTTP listener passes in the method,
//! path, query string and body bytes, enforces the body size limit
//! ([`RECOMMENDED_MAX_BODY_BYTES`]), stores records before it replies, and
//! sends the text built here. `docs/protocols/adms.md` describes the wire
//! format and the exchanges for an engineer connecting a clock.

/// Rejection reasons and the line splitter shared by the body parsers.
mod lines;

/// ATTLOG bodies: punches.
mod attlog;
/// devicecmd bodies: command results.
mod devicecmd;
/// OPERLOG bodies: operation log lines and user records.
mod operlog;
/// Query strings and serial numbers.
mod query;
/// Reply bodies: handshake options, `OK` and command lines.
mod reply;
/// Request classification by method, path and query.
mod request;

pub use attlog::{parse_attlog, PushPunch, MAX_ATTLOG_LINE_BYTES, MAX_PIN_LEN, MAX_WORK_CODE_LEN};
pub use devicecmd::{parse_devicecmd, DeviceCmdResult, MAX_DEVICECMD_LINE_BYTES};
pub use lines::{BatchParse, LineError, Rejection};
pub use operlog::{parse_operlog, OperLogEntry, UserRecord, MAX_NAME_LEN, MAX_OPERLOG_LINE_BYTES};
pub use query::{
    parse_query, Query, QueryError, SerialNumber, MAX_QUERY_LEN, MAX_SERIAL_NUMBER_LEN,
};
pub use reply::{
    command_lines, handshake_reply, ok, ok_count, zk_packed_time, Command, CommandKind, Options,
    ReplyError, Stamps, MAX_COMMAND_TEXT_LEN,
};
pub use request::{classify, Request, Table};

/// Recommended limit for an upload body, in bytes, enforced by the HTTP
/// listener before it calls a parser. A clock that has been offline uploads
/// its backlog in batches. At about 50 bytes per 10-column ATTLOG line,
/// 8 MiB is about 160,000 punches.
// NOTE: the largest batch a clock sends is not documented, so this limit is
// an estimate. A clock whose body is rejected retries the same batch after
// ErrorDelay without end, so raise the limit if that shows up in the log.
pub const RECOMMENDED_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

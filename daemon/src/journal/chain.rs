//! Canonical encoding of an event row and its SHA-256 chain hash.
//!
//! The hash of a row is `SHA-256(prev_hash || enc(seq) || enc(kind) ||
//! enc(device_id) || enc(idempotency_key) || enc(device_time) ||
//! enc(received_at) || enc(subject) || enc(raw) || enc(payload))`, where
//! `prev_hash` is the 32-byte hash of the previous row (32 zero bytes for the
//! first row) and `enc` encodes a SQLite value as one type tag byte followed
//! by its content:
//!
//! | storage class | tag | content |
//! | --- | --- | --- |
//! | NULL | `0x00` | nothing |
//! | INTEGER | `0x01` | 8 bytes, big-endian two's complement |
//! | REAL | `0x02` | 8 bytes, big-endian IEEE 754 bits |
//! | TEXT | `0x03` | 8-byte big-endian byte length, then the UTF-8 bytes |
//! | BLOB | `0x04` | 8-byte big-endian byte length, then the bytes |
//!
//! The tag and the length prefix make the encoding unambiguous: no two
//! different rows produce the same byte string. The hash covers the values
//! exactly as stored, including their storage class, so a verifier needs no
//! knowledge of how hallbox formats times or JSON.

use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

/// Length of a chain hash in bytes (SHA-256).
pub const HASH_LEN: usize = 32;

/// Hash that the first event chains to.
pub const GENESIS_HASH: [u8; HASH_LEN] = [0; HASH_LEN];

const TAG_NULL: u8 = 0x00;
const TAG_INTEGER: u8 = 0x01;
const TAG_REAL: u8 = 0x02;
const TAG_TEXT: u8 = 0x03;
const TAG_BLOB: u8 = 0x04;

/// Incremental hasher over one row: feed the previous hash, then every
/// column in the order of the module documentation.
pub(crate) struct RowHasher {
    sha: Sha256,
}

impl RowHasher {
    /// Starts a row that chains to `prev_hash`.
    pub(crate) fn new(prev_hash: &[u8]) -> Self {
        let mut sha = Sha256::new();
        sha.update(prev_hash);
        RowHasher { sha }
    }

    /// Adds an INTEGER column.
    pub(crate) fn integer(&mut self, value: i64) {
        self.sha.update([TAG_INTEGER]);
        self.sha.update(value.to_be_bytes());
    }

    /// Adds a TEXT column.
    pub(crate) fn text(&mut self, value: &str) {
        self.prefixed(TAG_TEXT, value.as_bytes());
    }

    /// Adds a TEXT column that may be NULL.
    pub(crate) fn optional_text(&mut self, value: Option<&str>) {
        match value {
            Some(text) => self.text(text),
            None => self.sha.update([TAG_NULL]),
        }
    }

    /// Adds a BLOB column.
    pub(crate) fn blob(&mut self, value: &[u8]) {
        self.prefixed(TAG_BLOB, value);
    }

    /// Adds a column of any storage class, as read back from SQLite.
    pub(crate) fn value(&mut self, value: ValueRef<'_>) {
        match value {
            ValueRef::Null => self.sha.update([TAG_NULL]),
            ValueRef::Integer(number) => self.integer(number),
            ValueRef::Real(number) => {
                self.sha.update([TAG_REAL]);
                self.sha.update(number.to_bits().to_be_bytes());
            }
            ValueRef::Text(bytes) => self.prefixed(TAG_TEXT, bytes),
            ValueRef::Blob(bytes) => self.prefixed(TAG_BLOB, bytes),
        }
    }

    /// Returns the row hash.
    pub(crate) fn finish(self) -> [u8; HASH_LEN] {
        self.sha.finalize().into()
    }

    fn prefixed(&mut self, tag: u8, bytes: &[u8]) {
        // usize is at most 64 bits on every target Rust supports, so the
        // length always fits.
        let length = bytes.len() as u64;
        self.sha.update([tag]);
        self.sha.update(length.to_be_bytes());
        self.sha.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 of `bytes`, computed in one call for comparison.
    fn sha256(bytes: &[u8]) -> [u8; HASH_LEN] {
        Sha256::digest(bytes).into()
    }

    #[test]
    fn hasher_matches_spelled_out_bytes() {
        let prev = [0xAB; HASH_LEN];
        let mut hasher = RowHasher::new(&prev);
        hasher.integer(5);
        hasher.text("ab");
        hasher.optional_text(None);
        hasher.blob(&[0xFF]);

        let mut expected = prev.to_vec();
        expected.extend_from_slice(&[0x01, 0, 0, 0, 0, 0, 0, 0, 5]);
        expected.extend_from_slice(&[0x03, 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
        expected.push(0x00);
        expected.extend_from_slice(&[0x04, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF]);

        assert_eq!(hasher.finish(), sha256(&expected));
    }

    #[test]
    fn hasher_value_matches_typed() {
        let mut typed = RowHasher::new(&GENESIS_HASH);
        typed.integer(-2);
        typed.text("punch");
        typed.optional_text(None);
        typed.blob(b"raw");

        let mut generic = RowHasher::new(&GENESIS_HASH);
        generic.value(ValueRef::Integer(-2));
        generic.value(ValueRef::Text(b"punch"));
        generic.value(ValueRef::Null);
        generic.value(ValueRef::Blob(b"raw"));

        assert_eq!(typed.finish(), generic.finish());
    }

    #[test]
    fn hasher_separates_fields() {
        // "ab" + "c" and "a" + "bc" concatenate to the same bytes, so only the
        // length prefix keeps their hashes apart.
        let mut first = RowHasher::new(&GENESIS_HASH);
        first.text("ab");
        first.text("c");
        let mut second = RowHasher::new(&GENESIS_HASH);
        second.text("a");
        second.text("bc");
        assert_ne!(first.finish(), second.finish());
    }

    #[test]
    fn hasher_separates_storage_classes() {
        let mut text = RowHasher::new(&GENESIS_HASH);
        text.value(ValueRef::Text(b"x"));
        let mut blob = RowHasher::new(&GENESIS_HASH);
        blob.value(ValueRef::Blob(b"x"));
        assert_ne!(text.finish(), blob.finish());

        let mut null = RowHasher::new(&GENESIS_HASH);
        null.value(ValueRef::Null);
        let mut empty = RowHasher::new(&GENESIS_HASH);
        empty.value(ValueRef::Text(b""));
        assert_ne!(null.finish(), empty.finish());
    }
}

//! Bearer tokens: making a new one, hashing, and finding the configured
//! entry of a presented token in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::TokenEntry;

/// Start of every token, so that a leaked token is recognisable (secret
/// scanners and people both spot it).
pub const TOKEN_PREFIX: &str = "hbx_";

/// Random bytes in a token: 32, so 256 bits of entropy.
const TOKEN_BYTES: usize = 32;

/// Errors of token generation.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("failed to read random bytes from the operating system: {0}")]
    Random(getrandom::Error),
}

/// A freshly made token: the secret to hand out once, and its hash for the
/// configuration. `Debug` prints the hash only.
pub struct NewToken {
    secret: String,
    /// SHA-256 of the token text, lowercase hex.
    pub sha256_hex: String,
}

impl NewToken {
    /// Makes a token from the operating system's random source.
    pub fn generate() -> Result<NewToken, TokenError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(TokenError::Random)?;
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let sha256_hex = hex::encode(hash_token(&secret));
        Ok(NewToken { secret, sha256_hex })
    }

    /// Returns the token text, to print once and never store.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("secret", &"<redacted>")
            .field("sha256_hex", &self.sha256_hex)
            .finish()
    }
}

/// Returns the SHA-256 of the token's UTF-8 text.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Finds the entry whose hash is the presented token's hash.
///
/// Every entry is compared, each in constant time, so the time taken
/// depends on the number of entries only.
pub fn find_token<'a>(entries: &'a [TokenEntry], presented: &str) -> Option<&'a TokenEntry> {
    let hash = hash_token(presented);
    let mut found = None;
    for entry in entries {
        if bool::from(entry.sha256.ct_eq(&hash)) {
            found = Some(entry);
        }
    }
    found
}

/// Random lowercase hex digits, for token ids and record keys.
pub fn random_hex(bytes: usize) -> Result<String, TokenError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(TokenError::Random)?;
    Ok(hex::encode(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn entry(id: &str, token: &str) -> TokenEntry {
        TokenEntry {
            id: id.to_string(),
            role: Role::Bureau,
            unit: None,
            sha256: hash_token(token),
        }
    }

    #[test]
    fn generate_has_prefix_and_hash() {
        let token = NewToken::generate().unwrap();
        assert!(token.secret().starts_with(TOKEN_PREFIX));
        // 4 prefix characters and 2 hex digits per byte.
        assert_eq!(token.secret().len(), 4 + 64);
        assert_eq!(token.sha256_hex, hex::encode(hash_token(token.secret())));
        assert!(!format!("{token:?}").contains(token.secret()));

        let other = NewToken::generate().unwrap();
        assert_ne!(token.secret(), other.secret());
    }

    #[test]
    fn hash_matches_known_value() {
        // SHA-256 of "abc", from FIPS 180-2 appendix B.1.
        assert_eq!(
            hex::encode(hash_token("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn find_token_by_hash() {
        let entries = [entry("a", "hbx_one"), entry("b", "hbx_two")];
        assert_eq!(
            find_token(&entries, "hbx_two").map(|e| e.id.as_str()),
            Some("b")
        );
        assert_eq!(
            find_token(&entries, "hbx_one").map(|e| e.id.as_str()),
            Some("a")
        );
        assert!(find_token(&entries, "hbx_three").is_none());
        assert!(find_token(&entries, "").is_none());
        assert!(find_token(&[], "hbx_one").is_none());
    }
}

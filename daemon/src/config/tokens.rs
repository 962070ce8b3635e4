//! The `[[token]]` entries: who may call the API.
//!
//! Each entry names a token by `id`, gives its `role`, binds a chief token
//! to a `unit`, and stores the SHA-256 of the token as 64 hex digits. The
//! token itself is never written to the file; `hallbox token new` prints
//! a token once together with the entry to add here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::Problems;
use super::raw::RawUnit;
use crate::auth::Role;

/// Maximum length of a token id, in ASCII characters.
const MAX_TOKEN_ID_LEN: usize = 64;

/// One `[[token]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawToken {
    pub id: Option<String>,
    pub role: Option<String>,
    pub unit: Option<String>,
    pub sha256: Option<String>,
}

/// A validated `[[token]]` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenEntry {
    /// Name of the token in logs and the audit journal, e.g. "bureau-1".
    /// Unique among tokens.
    pub id: String,
    pub role: Role,
    /// The window unit of a chief token; `None` for every other role.
    pub unit: Option<String>,
    /// SHA-256 of the token text.
    pub sha256: [u8; 32],
}

impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash is not secret, but it adds nothing to a debug line.
        f.debug_struct("TokenEntry")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("unit", &self.unit)
            .finish_non_exhaustive()
    }
}

/// Validates the token entries; `units` are the raw `[[unit]]` entries, so
/// that a chief's unit is checked even when the units have other problems.
pub(super) fn validate_tokens(
    raw_tokens: &[RawToken],
    units: &[RawUnit],
    problems: &mut Problems,
) -> Option<Vec<TokenEntry>> {
    let declared: Vec<&str> = units.iter().filter_map(|unit| unit.id.as_deref()).collect();
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut hashes: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    let mut entries = Vec::new();

    for (index, raw) in raw_tokens.iter().enumerate() {
        let prefix = format!("token[{index}]");
        let id = problems.check(&format!("{prefix}.id"), token_id(raw.id.as_deref()));
        if let Some(id) = raw.id.as_deref() {
            if let Some(first) = ids.insert(id, index) {
                problems.add(
                    format!("{prefix}.id"),
                    format!("duplicate token id '{id}': token[{first}] already uses it"),
                );
            }
        }

        let role = problems.check(&format!("{prefix}.role"), role(raw.role.as_deref()));
        let unit = match role {
            Some(role) => problems.check(
                &format!("{prefix}.unit"),
                unit_for_role(role, raw.unit.as_deref(), &declared),
            ),
            None => None,
        };

        let sha256 = problems.check(&format!("{prefix}.sha256"), sha256(raw.sha256.as_deref()));
        if let Some(hash) = sha256 {
            if let Some(first) = hashes.insert(hash, index) {
                problems.add(
                    format!("{prefix}.sha256"),
                    format!(
                        "token[{first}] has the same hash, so both entries are the same token: \
                         make a new token for one of them with `hallbox token new`"
                    ),
                );
            }
        }

        entries.push(match (id, role, unit, sha256) {
            (Some(id), Some(role), Some(unit), Some(sha256)) => Some(TokenEntry {
                id,
                role,
                unit,
                sha256,
            }),
            _ => None,
        });
    }
    entries.into_iter().collect()
}

fn token_id(id: Option<&str>) -> Result<String, String> {
    let Some(id) = id else {
        return Err("missing key: add it, e.g. id = \"bureau-1\"".to_string());
    };
    let valid = !id.is_empty()
        && id.len() <= MAX_TOKEN_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if valid {
        Ok(id.to_string())
    } else {
        Err(format!(
            "invalid token id '{id}': expected 1 to {MAX_TOKEN_ID_LEN} ASCII letters, digits, \
             '-', '_' or '.' such as bureau-1"
        ))
    }
}

fn role(role: Option<&str>) -> Result<Role, String> {
    let Some(role) = role else {
        return Err("missing key: add it, e.g. role = \"bureau\"".to_string());
    };
    role.parse::<Role>().map_err(|error| error.to_string())
}

/// Checks that a chief token names a declared unit and that no other role
/// names one.
fn unit_for_role(
    role: Role,
    unit: Option<&str>,
    declared: &[&str],
) -> Result<Option<String>, String> {
    match (role, unit) {
        (Role::Chief, None) => Err(
            "missing key: a chief token is bound to one window unit, e.g. unit = \"tax\""
                .to_string(),
        ),
        (Role::Chief, Some(unit)) if declared.contains(&unit) => Ok(Some(unit.to_string())),
        (Role::Chief, Some(unit)) => Err(format!(
            "unknown unit '{unit}': expected the id of a [[unit]] entry{}",
            if declared.is_empty() {
                String::new()
            } else {
                format!(": {}", declared.join(", "))
            }
        )),
        (_, None) => Ok(None),
        (other, Some(unit)) => Err(format!(
            "unit '{unit}' is set on a {other} token: only chief tokens are bound to a unit, \
             remove the key"
        )),
    }
}

fn sha256(text: Option<&str>) -> Result<[u8; 32], String> {
    let Some(text) = text else {
        return Err(
            "missing key: add the hash printed by `hallbox token new`, e.g. sha256 = \"9f86d0...\""
                .to_string(),
        );
    };
    let expected = "expected the 64 hex digits printed by `hallbox token new`";
    if text.len() != 64 {
        return Err(format!(
            "invalid hash of {} characters: {expected} (a token itself starts with hbx_ and \
             never goes in this file)",
            text.len()
        ));
    }
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .map_err(|_| format!("invalid hash '{text}': {expected}"))?;
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::auth::{hash_token, Role};
    use crate::config::{parse, ConfigError};

    /// A config of one unit `tax` with `tokens` appended.
    fn config_text(tokens: &str) -> String {
        format!(
            "[calendar]\nkind = \"monday-to-friday\"\n\n\
             [[unit]]\nid = \"tax\"\nname = \"县税务局\"\n{tokens}"
        )
    }

    fn hash(token: &str) -> String {
        hex::encode(hash_token(token))
    }

    fn errors(tokens: &str) -> Vec<(String, String)> {
        match parse(
            Path::new("hallbox.toml"),
            &config_text(tokens),
            Path::new("/"),
        ) {
            Err(ConfigError::Invalid(errors)) => errors
                .errors
                .into_iter()
                .map(|error| (error.key, error.message))
                .collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn tokens_parse() {
        let text = config_text(&format!(
            "[[token]]\nid = \"bureau-1\"\nrole = \"bureau\"\nsha256 = \"{}\"\n\
             [[token]]\nid = \"chief-tax\"\nrole = \"chief\"\nunit = \"tax\"\nsha256 = \"{}\"\n",
            hash("hbx_a"),
            hash("hbx_b").to_uppercase()
        ));
        let config = parse(Path::new("hallbox.toml"), &text, Path::new("/")).unwrap();
        assert_eq!(config.tokens.len(), 2);
        assert_eq!(config.tokens[0].id, "bureau-1");
        assert_eq!(config.tokens[0].role, Role::Bureau);
        assert_eq!(config.tokens[0].unit, None);
        assert_eq!(config.tokens[0].sha256, hash_token("hbx_a"));
        assert_eq!(config.tokens[1].unit.as_deref(), Some("tax"));
        // Hex digits in capitals decode to the same hash.
        assert_eq!(config.tokens[1].sha256, hash_token("hbx_b"));
        // Debug output leaves out the hash.
        assert!(!format!("{:?}", config.tokens[0]).contains(&hash("hbx_a")));
    }

    #[test]
    fn tokens_rejected() {
        let good = hash("hbx_a");
        // (entries, key, words of the message)
        let cases = [
            (format!("[[token]]\nrole = \"hr\"\nsha256 = \"{good}\"\n"), "token[0].id", "missing key"),
            (format!("[[token]]\nid = \"a b\"\nrole = \"hr\"\nsha256 = \"{good}\"\n"), "token[0].id", "invalid token id"),
            (format!("[[token]]\nid = \"t\"\nrole = \"admin\"\nsha256 = \"{good}\"\n"), "token[0].role", "unknown role 'admin'"),
            (format!("[[token]]\nid = \"t\"\nrole = \"chief\"\nsha256 = \"{good}\"\n"), "token[0].unit", "bound to one window unit"),
            (format!("[[token]]\nid = \"t\"\nrole = \"chief\"\nunit = \"nope\"\nsha256 = \"{good}\"\n"), "token[0].unit", "unknown unit 'nope'"),
            (format!("[[token]]\nid = \"t\"\nrole = \"hr\"\nunit = \"tax\"\nsha256 = \"{good}\"\n"), "token[0].unit", "only chief tokens"),
            ("[[token]]\nid = \"t\"\nrole = \"hr\"\n".to_string(), "token[0].sha256", "missing key"),
            (
                "[[token]]\nid = \"t\"\nrole = \"hr\"\nsha256 = \"hbx_0123\"\n".to_string(),
                "token[0].sha256",
                "never goes in this file",
            ),
            (
                format!("[[token]]\nid = \"t\"\nrole = \"hr\"\nsha256 = \"{}\"\n", "g".repeat(64)),
                "token[0].sha256",
                "64 hex digits",
            ),
            (
                format!(
                    "[[token]]\nid = \"t\"\nrole = \"hr\"\nsha256 = \"{good}\"\n\
                     [[token]]\nid = \"t\"\nrole = \"hr\"\nsha256 = \"{}\"\n",
                    hash("hbx_b")
                ),
                "token[1].id",
                "duplicate token id 't'",
            ),
            (
                format!(
                    "[[token]]\nid = \"t1\"\nrole = \"hr\"\nsha256 = \"{good}\"\n\
                     [[token]]\nid = \"t2\"\nrole = \"bureau\"\nsha256 = \"{good}\"\n"
                ),
                "token[1].sha256",
                "same hash",
            ),
        ];
        for (entries, key, words) in cases {
            let found = errors(&entries);
            assert!(
                found
                    .iter()
                    .any(|(k, message)| k == key && message.contains(words)),
                "{entries}: expected {key} with '{words}', got {found:?}"
            );
        }
    }
}

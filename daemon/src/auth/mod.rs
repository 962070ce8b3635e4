//! Who may call the API: roles, bearer tokens and the [`Actor`] of a
//! request.
//!
//! Every route except the tokenless health, readiness and metrics routes
//! takes an [`Actor`] argument. Axum runs that extractor before the body
//! is read: it finds the `Authorization: Bearer TOKEN` header, hashes the
//! token and looks the hash up among the configured `[[token]]` entries. A
//! missing or unknown token is a 401 and the handler never runs. The handler
//! then states which roles it serves with [`Actor::require`], and for
//! routes about one window unit, [`Actor::require_unit`]. A role the route
//! does not serve, or a chief token of another unit, is a 403.
//!
//! # Tokens
//!
//! A token is `hbx_` followed by 64 hex digits: 32 bytes from the operating
//! system's random source, so 256 bits that cannot be guessed. The
//! configuration keeps only the SHA-256 of the token text. A fast hash is
//! enough here: slow password hashes (Argon2, bcrypt) exist to make
//! guessing low-entropy passwords expensive, and no amount of guessing
//! finds a 256-bit random value, so a slow hash would only cost the box
//! CPU on every request. The presented hash is compared with every
//! configured hash in constant time, so the response time does not reveal
//! how many leading bytes matched.
//!
//! Tokens never reach the log: the extractor logs the route and the reason
//! of a rejection, and an accepted request is known by its token id.

mod extract;
mod token;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::api::ApiError;

pub use extract::TOKEN_COOKIE;
pub use token::{find_token, hash_token, random_hex, NewToken, TokenError, TOKEN_PREFIX};

/// Role of a token, which sets the routes it may use; `docs/api.md` has
/// the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Human resources: reads the monthly attendance and ratings reports.
    Hr,
    /// The supervision bureau (监管局): reads everything, registers leave,
    /// write-offs, outages and patrol punches, decides corrections.
    Bureau,
    /// A window unit's chief representative (首席事务代表), bound to one
    /// unit: files correction requests and reads that unit's results.
    Chief,
    /// The central system: reads the event feed and the reports.
    Central,
}

impl Role {
    /// Every role, in the order of the enum.
    pub const ALL: [Role; 4] = [Role::Hr, Role::Bureau, Role::Chief, Role::Central];

    /// Returns the name used in the configuration and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hr => "hr",
            Role::Bureau => "bureau",
            Role::Chief => "chief",
            Role::Central => "central",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Role::from_str`]: the text names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}': expected hr, bureau, chief or central")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_string()))
    }
}

/// The caller of a request, known by its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub role: Role,
    /// The window unit a chief token is bound to; `None` for other roles.
    pub unit: Option<String>,
    /// The `id` of the token's `[[token]]` entry; never the token itself.
    pub token_id: String,
}

impl Actor {
    /// Returns a 403 unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "token '{}' has role {}, and this route serves {}",
            self.token_id,
            self.role,
            allowed.join(", ")
        )))
    }

    /// Returns a 403 when a chief acts on a unit other than its own. Other
    /// roles are not bound to a unit and pass; check them with
    /// [`Actor::require`] first.
    pub fn require_unit(&self, unit: &str) -> Result<(), ApiError> {
        match (self.role, self.unit.as_deref()) {
            (Role::Chief, Some(own)) if own == unit => Ok(()),
            (Role::Chief, own) => Err(ApiError::forbidden(format!(
                "token '{}' is the chief token of unit '{}' and cannot act for unit '{unit}'",
                self.token_id,
                own.unwrap_or("")
            ))),
            _ => Ok(()),
        }
    }

    /// Returns the unit whose data a chief may read, or `None` for roles
    /// that read every unit.
    pub fn unit_scope(&self) -> Option<&str> {
        match self.role {
            Role::Chief => self.unit.as_deref(),
            _ => None,
        }
    }

    /// Returns the `device_id` of events this actor makes through the API:
    /// `api:` and the token id.
    pub fn journal_source(&self) -> String {
        format!("api:{}", self.token_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, unit: Option<&str>) -> Actor {
        Actor {
            role,
            unit: unit.map(str::to_string),
            token_id: "t1".to_string(),
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(
            "Bureau".parse::<Role>(),
            Err(UnknownRole("Bureau".to_string()))
        );
    }

    #[test]
    fn require_checks_role() {
        let hr = actor(Role::Hr, None);
        assert!(hr.require(&[Role::Hr, Role::Bureau]).is_ok());
        let error = hr.require(&[Role::Bureau]).unwrap_err();
        assert_eq!(error.status, axum::http::StatusCode::FORBIDDEN);
        assert!(error.message.contains("role hr"), "{}", error.message);
    }

    #[test]
    fn require_unit_binds_chief() {
        let chief = actor(Role::Chief, Some("tax"));
        assert!(chief.require_unit("tax").is_ok());
        assert_eq!(
            chief.require_unit("hrss").unwrap_err().status,
            axum::http::StatusCode::FORBIDDEN
        );
        assert_eq!(chief.unit_scope(), Some("tax"));

        let bureau = actor(Role::Bureau, None);
        assert!(bureau.require_unit("hrss").is_ok());
        assert_eq!(bureau.unit_scope(), None);
    }
}

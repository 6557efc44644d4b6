//! Who is calling: the authenticated subject, its tenant and its roles.

use crate::AuthError;
use crate::oidc::Claims;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a principal may do within its tenant.
///
/// Roles are flat and explicit, except that [`Role::Admin`] implies every other role
/// (see [`Principal::has`]): an approver is not a clerk unless granted both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the tenant: API keys, plugins, settings; implies every other role.
    Admin,
    /// Approves or rejects invoices.
    Approver,
    /// Uploads and corrects invoices.
    Clerk,
    /// Reads invoices and reports.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Approver, Role::Clerk, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Approver => "approver",
            Role::Clerk => "clerk",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role name is not one of Papyr's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role (expected admin, approver, clerk or viewer)")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;

    /// Case-insensitive: Entra app roles are conventionally capitalised ("Admin")
    /// while Keycloak realm roles are usually lowercase.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownRole)
    }
}

/// How the principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person, through an OpenID Connect token.
    User { email: Option<String> },
    /// An integration, through an API key.
    ApiKey { key_id: String },
    /// Local mode: whoever can reach the loopback address.
    Local,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Stable id: the token's `sub`, the API key id, or `local`.
    pub subject: String,
    pub tenant_id: String,
    pub roles: Vec<Role>,
    pub kind: PrincipalKind,
}

impl Principal {
    /// Whether the principal may act as `role`.
    ///
    /// [`Role::Admin`] implies every role; the others imply only themselves, so an
    /// endpoint open to several roles checks each (`p.has(Clerk) || p.has(Approver)`).
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&Role::Admin) || self.roles.contains(&role)
    }

    /// The principal of local mode: every role in `tenant_id`.
    pub fn local(tenant_id: impl Into<String>) -> Principal {
        Principal {
            subject: "local".into(),
            tenant_id: tenant_id.into(),
            roles: Role::ALL.to_vec(),
            kind: PrincipalKind::Local,
        }
    }

    /// Maps verified token claims to a principal.
    ///
    /// Role strings that are not Papyr roles are ignored (providers put many roles in
    /// tokens, e.g. Keycloak's `offline_access`); a token without a tenant is refused,
    /// because every request must be scoped to exactly one tenant.
    pub fn from_claims(claims: &Claims) -> Result<Principal, AuthError> {
        let tenant_id = claims
            .tenant
            .clone()
            .filter(|tenant| !tenant.is_empty())
            .ok_or(AuthError::MissingTenant)?;
        let mut roles: Vec<Role> = claims
            .roles
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        roles.sort();
        roles.dedup();
        Ok(Principal {
            subject: claims.subject.clone(),
            tenant_id,
            roles,
            kind: PrincipalKind::User {
                email: claims.email.clone(),
            },
        })
    }
}

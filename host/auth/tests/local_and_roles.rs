//! Local mode's address check, roles and the claims-to-principal mapping.

use papyr_auth::principal::UnknownRole;
use papyr_auth::{AuthError, Claims, Principal, PrincipalKind, Role, check_local_mode};
use serde_json::json;
use std::net::SocketAddr;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn local_mode_accepts_loopback_addresses() {
    for listen in [
        "127.0.0.1:8080",
        "127.0.0.53:80",
        "[::1]:8080",
        "[::ffff:127.0.0.1]:8080",
    ] {
        check_local_mode(addr(listen), false).unwrap_or_else(|e| panic!("{listen}: {e}"));
    }
}

#[test]
fn local_mode_refuses_other_addresses_with_a_fix() {
    for listen in [
        "0.0.0.0:8080",
        "192.168.1.10:8080",
        "[::]:8080",
        "[2001:db8::1]:443",
    ] {
        let err = check_local_mode(addr(listen), false).unwrap_err();
        assert!(
            matches!(err, AuthError::LocalModeExposed(a) if a == addr(listen)),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(message.contains(listen), "{message}");
        assert!(
            message.contains("PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL=true"),
            "{message}"
        );
    }
}

#[test]
fn local_mode_override_allows_any_address() {
    for listen in ["0.0.0.0:8080", "[::]:8080", "10.0.0.4:80"] {
        check_local_mode(addr(listen), true).unwrap();
    }
}

#[test]
fn local_principal_has_every_role() {
    let local = Principal::local("demo");
    assert_eq!(local.tenant_id, "demo");
    assert_eq!(local.kind, PrincipalKind::Local);
    for role in Role::ALL {
        assert!(local.has(role), "{role}");
    }
}

#[test]
fn admin_implies_every_role_and_the_others_only_themselves() {
    let with = |roles: &[Role]| Principal {
        subject: "s".into(),
        tenant_id: "t".into(),
        roles: roles.to_vec(),
        kind: PrincipalKind::ApiKey {
            key_id: "0123456789abcdef".into(),
        },
    };
    let admin = with(&[Role::Admin]);
    assert!(Role::ALL.iter().all(|&role| admin.has(role)));

    let approver = with(&[Role::Approver]);
    assert!(approver.has(Role::Approver));
    assert!(!approver.has(Role::Clerk));
    assert!(
        !approver.has(Role::Viewer),
        "roles are explicit, not a ladder"
    );
    assert!(!approver.has(Role::Admin));

    let nobody = with(&[]);
    assert!(Role::ALL.iter().all(|&role| !nobody.has(role)));
}

#[test]
fn roles_parse_print_and_serialize_in_lowercase() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        assert_eq!(role.to_string(), role.as_str());
        assert_eq!(serde_json::to_value(role).unwrap(), json!(role.as_str()));
        assert_eq!(
            serde_json::from_value::<Role>(json!(role.as_str())).unwrap(),
            role
        );
    }
    assert_eq!("Approver".parse::<Role>(), Ok(Role::Approver));
    assert_eq!("superuser".parse::<Role>(), Err(UnknownRole));
    assert_eq!("".parse::<Role>(), Err(UnknownRole));
    assert!(
        serde_json::from_value::<Role>(json!("Admin")).is_err(),
        "serde is strict"
    );
}

fn claims(tenant: Option<&str>, roles: &[&str]) -> Claims {
    Claims {
        subject: "user-7".into(),
        tenant: tenant.map(String::from),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        email: Some("grace@acme.test".into()),
        raw: json!({}),
    }
}

#[test]
fn claims_map_to_a_principal_ignoring_unknown_roles() {
    let principal = Principal::from_claims(&claims(
        Some("acme"),
        &[
            "viewer",
            "offline_access",
            "Clerk",
            "viewer",
            "default-roles-papyr",
        ],
    ))
    .unwrap();
    assert_eq!(
        principal,
        Principal {
            subject: "user-7".into(),
            tenant_id: "acme".into(),
            roles: vec![Role::Clerk, Role::Viewer],
            kind: PrincipalKind::User {
                email: Some("grace@acme.test".into())
            },
        }
    );
}

#[test]
fn claims_without_tenant_are_refused() {
    for tenant in [None, Some("")] {
        let err = Principal::from_claims(&claims(tenant, &["admin"])).unwrap_err();
        assert!(matches!(err, AuthError::MissingTenant), "{err:?}");
        assert_eq!(err.to_string(), "token carries no tenant");
    }
}

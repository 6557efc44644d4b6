//! Local mode: the embedded default runs without an identity provider, and every
//! caller is [`Principal::local`](crate::Principal::local) with all roles. That is only
//! safe when nobody but the local machine can connect.

use crate::AuthError;
use std::net::SocketAddr;

/// Refuses to run local mode on an address other machines can reach, unless the
/// operator explicitly allowed it (e.g. behind an authenticating reverse proxy).
pub fn check_local_mode(listen: SocketAddr, allow_non_loopback: bool) -> Result<(), AuthError> {
    // `to_canonical` so that `[::ffff:127.0.0.1]` counts as the loopback it is.
    if listen.ip().to_canonical().is_loopback() {
        return Ok(());
    }
    if allow_non_loopback {
        tracing::warn!(%listen, "local mode on a non-loopback address: every caller gets all roles");
        return Ok(());
    }
    Err(AuthError::LocalModeExposed(listen))
}

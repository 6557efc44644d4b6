//! Object storage for Papyr documents and reports.
//!
//! Blobs are addressed by content hash (`documents/<sha256>`, `reports/<sha256>.pdf`) and are
//! written *before* the database job that refers to them is committed, so a `put` that
//! returned `Ok` must be durable and a reader must never see a half-written blob.
//!
//! Two backends sit behind one cheap-to-clone [`BlobStore`]:
//! - [`LocalStore`]: a folder on disk (`file:///abs/path` or a plain path);
//! - [`AzureStore`]: an Azure Blob Storage container with Shared Key authorization
//!   (`azure://<account>/<container>?endpoint=...`), also used against Azurite.
//!
//! See docs/storage.md for URL syntax and configuration.

mod azure;
mod local;

use std::fmt;

pub use azure::{AZURE_KEY_ENV, AzureConfig, AzureStore, MAX_AZURE_PUT_BYTES};
pub use local::LocalStore;

/// Where Papyr keeps documents and reports. Cloning shares the underlying HTTP client.
#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(LocalStore),
    Azure(AzureStore),
}

impl BlobStore {
    /// Parses a storage URL:
    /// - `file:///abs/path` or a plain path → [`LocalStore`];
    /// - `azure://<account>/<container>[?endpoint=<url>][&key=<base64>]` → [`AzureStore`];
    ///   the account key comes from `key=` if present, else from `PAPYR_STORAGE__AZURE_KEY`.
    pub fn from_url(url: &str) -> Result<BlobStore, BlobError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(BlobError::InvalidUrl("storage URL is empty".into()));
        }
        if url.starts_with("azure://") {
            return Ok(BlobStore::Azure(AzureStore::from_url(url)?));
        }
        if url.starts_with("file:") {
            return Ok(BlobStore::Local(LocalStore::from_file_url(url)?));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(BlobError::InvalidUrl(format!(
                "unsupported storage scheme {scheme:?}: use a path, file:///abs/path or azure://<account>/<container>"
            )));
        }
        Ok(BlobStore::Local(LocalStore::new(url)))
    }

    /// Stores `bytes` under `key`. Writing the same key again replaces it atomically, so
    /// repeating a put (a retried job) is harmless.
    pub async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        validate_key(key)?;
        match self {
            BlobStore::Local(s) => s.put(key, bytes).await,
            BlobStore::Azure(s) => s.put(key, bytes, content_type).await,
        }
    }

    /// Reads the blob under `key`; [`BlobError::NotFound`] if there is none.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        validate_key(key)?;
        match self {
            BlobStore::Local(s) => s.get(key).await,
            BlobStore::Azure(s) => s.get(key).await,
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        validate_key(key)?;
        match self {
            BlobStore::Local(s) => s.exists(key).await,
            BlobStore::Azure(s) => s.exists(key).await,
        }
    }

    /// Creates the folder or container if missing and checks that it can be written.
    /// Call once at start-up so that a misconfiguration fails early with a clear message.
    pub async fn ensure_ready(&self) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(s) => s.ensure_ready().await,
            BlobStore::Azure(s) => s.ensure_ready().await,
        }
    }

    /// Readiness probe: the folder is writable / the container answers to our credentials.
    pub async fn health(&self) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(s) => s.health().await,
            BlobStore::Azure(s) => s.health().await,
        }
    }

    /// Human-readable location without secrets, for logs and `papyr` status output.
    pub fn describe(&self) -> String {
        match self {
            BlobStore::Local(s) => s.describe(),
            BlobStore::Azure(s) => s.describe(),
        }
    }
}

/// Everything that can go wrong talking to a blob store. Messages never contain the
/// Azure account key.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    #[error("invalid storage URL: {0}")]
    InvalidUrl(String),

    #[error("blob {key} not found")]
    NotFound { key: String },

    #[error("data directory {} is not writable: {}", path.display(), IoKind(source))]
    NotWritable {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot {op} {}: {}", path.display(), IoKind(source))]
    Io {
        op: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("blob {key} is {size} bytes, more than the {limit}-byte limit of a single upload")]
    TooLarge {
        key: String,
        size: usize,
        limit: usize,
    },

    /// Azure answered with an error status. `code` is the Azure error code
    /// (`AuthenticationFailed`, `ContainerNotFound`, ...) when the service sent one.
    #[error("azure blob {op} failed: HTTP {status}{}{}{}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        if message.is_empty() { String::new() } else { format!(": {message}") },
        hint(*status))]
    Azure {
        op: String,
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// The request never got an HTTP answer: connection refused, DNS, TLS, timeout.
    #[error("azure blob {op} failed: {}: {source}", if *timeout { "timed out" } else { "no response" })]
    Transport {
        op: String,
        timeout: bool,
        #[source]
        source: reqwest::Error,
    },
}

impl BlobError {
    /// HTTP status for Azure errors, `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            BlobError::Azure { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, BlobError::NotFound { .. })
    }
}

fn hint(status: u16) -> &'static str {
    match status {
        403 => {
            " (check the account name and the key in PAPYR_STORAGE__AZURE_KEY or key=; the machine clock must be within 15 minutes of real time)"
        }
        _ => "",
    }
}

/// `io::Error`'s own Display adds "(os error N)" and capitalises; the kind reads better in
/// a sentence such as "... is not writable: permission denied".
struct IoKind<'a>(&'a std::io::Error);

impl fmt::Display for IoKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let text = match text.rfind(" (os error ") {
            Some(i) if text.ends_with(')') => &text[..i],
            _ => &text,
        };
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => write!(f, "{}{}", first.to_lowercase(), chars.as_str()),
            None => f.write_str("unknown error"),
        }
    }
}

/// Longest key accepted; Azure allows 1024 characters for a blob name.
pub const MAX_KEY_LEN: usize = 1024;

/// Checks a blob key: `[a-z0-9/._-]` only, relative, no empty, `.` or `..` segments and no
/// segment starting with a dot (the local store uses dot-files for in-flight writes).
pub fn validate_key(key: &str) -> Result<(), BlobError> {
    let bad = |reason| {
        Err(BlobError::InvalidKey {
            key: key.chars().take(80).collect(),
            reason,
        })
    };
    if key.is_empty() {
        return bad("key is empty");
    }
    if key.len() > MAX_KEY_LEN {
        return bad("key is longer than 1024 characters");
    }
    if !key
        .bytes()
        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-'))
    {
        return bad("only lowercase letters, digits and / . _ - are allowed");
    }
    if key.starts_with('/') {
        return bad("key must be relative (no leading /)");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return bad("empty path segment (// or trailing /)");
        }
        if segment == "." || segment == ".." {
            return bad("path segments . and .. are not allowed");
        }
        if segment.starts_with('.') {
            return bad("path segments must not start with a dot");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_papyr_key_shapes() {
        for key in [
            "documents/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "reports/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.pdf",
            "a",
            "tenant-1/x_y.z",
        ] {
            validate_key(key).unwrap_or_else(|e| panic!("{key}: {e}"));
        }
    }

    #[test]
    fn rejects_bad_keys() {
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "documents/../../x",
            "a/./b",
            "a//b",
            "a/",
            "Documents/X",
            "a b",
            "a\\b",
            "a\0b",
            "ä",
            ".hidden",
            "documents/.tmp-1",
            "c:/x",
        ] {
            let err = validate_key(key).expect_err(key);
            assert!(matches!(err, BlobError::InvalidKey { .. }), "{key}: {err}");
        }
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN)).is_ok());
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn from_url_picks_backend() {
        match BlobStore::from_url("/var/lib/papyr/blobs").unwrap() {
            BlobStore::Local(s) => {
                assert_eq!(s.root(), std::path::Path::new("/var/lib/papyr/blobs"))
            }
            other => panic!("{other:?}"),
        }
        match BlobStore::from_url("file:///srv/papyr%20data").unwrap() {
            BlobStore::Local(s) => assert_eq!(s.root(), std::path::Path::new("/srv/papyr data")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            BlobStore::from_url("s3://bucket/x"),
            Err(BlobError::InvalidUrl(_))
        ));
        assert!(matches!(
            BlobStore::from_url("file://host/x"),
            Err(BlobError::InvalidUrl(_))
        ));
        assert!(matches!(
            BlobStore::from_url("  "),
            Err(BlobError::InvalidUrl(_))
        ));
    }

    #[test]
    fn not_writable_message_reads_as_a_sentence() {
        let err = BlobError::NotWritable {
            path: "/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            err.to_string(),
            "data directory /x is not writable: permission denied"
        );
    }
}

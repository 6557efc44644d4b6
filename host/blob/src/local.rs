//! Blobs as files under a root folder.
//!
//! A put writes a uniquely named dot-file next to the target, fsyncs it, renames it over the
//! target and fsyncs the folder: readers see either the old or the new complete blob, and
//! once `put` returns the blob survives a crash (the database commit that follows relies
//! on that). Concurrent puts of the same key each use their own temp file; the last rename
//! wins, which is fine because the content behind a content-hash key is identical.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::BlobError;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Debug)]
pub struct LocalStore {
    root: Arc<PathBuf>,
}

impl LocalStore {
    /// A store rooted at `root`; a relative path is resolved against the current folder now,
    /// so that later `chdir`s do not move the store and messages show the real location.
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        let root = root.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        LocalStore {
            root: Arc::new(root),
        }
    }

    pub(crate) fn from_file_url(url: &str) -> Result<LocalStore, BlobError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| BlobError::InvalidUrl(format!("{url}: {e}")))?;
        let path = parsed.to_file_path().map_err(|()| {
            BlobError::InvalidUrl(format!(
                "{url}: a file URL must be file:///absolute/path on this machine"
            ))
        })?;
        Ok(LocalStore::new(path))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }

    pub(crate) async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let root = self.root.clone();
        let key = key.to_owned();
        let bytes = bytes.to_vec();
        blocking(move || put_blocking(&root, &key, &bytes)).await
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.root.join(key);
        let key = key.to_owned();
        blocking(move || match fs::read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if is_missing(&e) => Err(BlobError::NotFound { key }),
            Err(source) => Err(BlobError::Io {
                op: "read",
                path,
                source,
            }),
        })
        .await
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        let path = self.root.join(key);
        blocking(move || match fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if is_missing(&e) => Ok(false),
            Err(source) => Err(BlobError::Io {
                op: "inspect",
                path,
                source,
            }),
        })
        .await
    }

    pub(crate) async fn ensure_ready(&self) -> Result<(), BlobError> {
        let root = self.root.clone();
        blocking(move || {
            fs::create_dir_all(&*root).map_err(|source| BlobError::NotWritable {
                path: root.to_path_buf(),
                source,
            })?;
            probe(&root)
        })
        .await
    }

    pub(crate) async fn health(&self) -> Result<(), BlobError> {
        let root = self.root.clone();
        blocking(move || probe(&root)).await
    }
}

/// `documents/x/y` when `documents/x` is a file is as absent as a missing file.
fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn temp_name(prefix: &str) -> String {
    format!(
        ".{prefix}-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes and removes a file in the root: the only reliable writability test (as root,
/// permission bits say nothing; a read-only mount only shows on write).
fn probe(root: &Path) -> Result<(), BlobError> {
    let not_writable = |source| BlobError::NotWritable {
        path: root.to_path_buf(),
        source,
    };
    let probe = root.join(temp_name("probe"));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(not_writable)?;
    let written = file.write_all(b"papyr write probe\n");
    drop(file);
    let removed = fs::remove_file(&probe);
    written.map_err(not_writable)?;
    removed.map_err(not_writable)
}

fn put_blocking(root: &Path, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
    let target = root.join(key);
    // validate_key guarantees at least one normal component, so there is a parent.
    let dir = target.parent().unwrap_or(root).to_path_buf();
    let io_err = |op, path: &Path| {
        let path = path.to_path_buf();
        move |source| BlobError::Io { op, path, source }
    };

    // Folders created here must be fsynced into their parents too, or a crash can lose the
    // whole subtree even though the blob file itself was synced.
    let mut created = Vec::new();
    let mut missing = dir.as_path();
    while !missing.is_dir() && missing.starts_with(root) {
        created.push(missing.to_path_buf());
        match missing.parent() {
            Some(parent) => missing = parent,
            None => break,
        }
    }
    fs::create_dir_all(&dir).map_err(|source| {
        if dir == *root || created.iter().any(|c| c == root) {
            BlobError::NotWritable {
                path: root.to_path_buf(),
                source,
            }
        } else {
            BlobError::Io {
                op: "create folder",
                path: dir.clone(),
                source,
            }
        }
    })?;

    let temp = dir.join(temp_name("tmp"));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)
    })();
    if let Err(source) = written {
        let _ = fs::remove_file(&temp);
        return Err(BlobError::Io {
            op: "write",
            path: target,
            source,
        });
    }

    sync_dir(&dir).map_err(io_err("sync folder", &dir))?;
    for folder in &created {
        if let Some(parent) = folder.parent() {
            sync_dir(parent).map_err(io_err("sync folder", parent))?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => Err(BlobError::Io {
            op: "run file operation",
            path: PathBuf::new(),
            source: io::Error::other("the runtime is shutting down"),
        }),
    }
}

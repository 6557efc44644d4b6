//! The local-folder backend against a real temporary folder.

use std::path::Path;

use papyr_blob::{BlobError, BlobStore};

const KEY: &str = "documents/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn store_in(dir: &Path) -> BlobStore {
    BlobStore::from_url(dir.join("blobs").to_str().unwrap()).unwrap()
}

/// Names of everything under `dir`, to spot leftover temp or probe files.
fn all_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            out.extend(
                all_names(&entry.path())
                    .into_iter()
                    .map(|n| format!("{name}/{n}")),
            );
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn round_trip_exists_and_idempotent_put() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    store.ensure_ready().await.unwrap();
    store.health().await.unwrap();

    assert!(!store.exists(KEY).await.unwrap());
    store
        .put(KEY, b"%PDF-1.7 invoice", "application/pdf")
        .await
        .unwrap();
    assert!(store.exists(KEY).await.unwrap());
    assert_eq!(store.get(KEY).await.unwrap(), b"%PDF-1.7 invoice");
    // Stored as a plain file at root/key, where operators expect it.
    assert_eq!(
        std::fs::read(tmp.path().join("blobs").join(KEY)).unwrap(),
        b"%PDF-1.7 invoice"
    );

    // A retried job puts the same key again: no error, same content.
    store
        .put(KEY, b"%PDF-1.7 invoice", "application/pdf")
        .await
        .unwrap();
    assert_eq!(store.get(KEY).await.unwrap(), b"%PDF-1.7 invoice");
    // Replacing content works too and is visible at once.
    store.put(KEY, b"v2", "application/pdf").await.unwrap();
    assert_eq!(store.get(KEY).await.unwrap(), b"v2");

    // Empty blobs are legitimate (an empty upload still gets a hash).
    store
        .put("reports/empty.pdf", b"", "application/pdf")
        .await
        .unwrap();
    assert_eq!(store.get("reports/empty.pdf").await.unwrap(), b"");

    // No temp or probe files are left behind.
    assert_eq!(
        all_names(&tmp.path().join("blobs")),
        vec![
            "documents/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            "reports/empty.pdf".to_owned()
        ]
    );
}

#[tokio::test]
async fn missing_blob_is_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    store.ensure_ready().await.unwrap();
    let err = store.get("documents/missing").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.to_string(), "blob documents/missing not found");

    // Below a blob (which is a file, not a folder) is just as absent.
    store.put("documents/a", b"x", "text/plain").await.unwrap();
    assert!(store.get("documents/a/b").await.unwrap_err().is_not_found());
    assert!(!store.exists("documents/a/b").await.unwrap());
    // A folder is not a blob.
    assert!(!store.exists("documents").await.unwrap());
}

#[tokio::test]
async fn bad_keys_are_rejected_before_touching_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    store.ensure_ready().await.unwrap();
    std::fs::write(tmp.path().join("secret"), b"outside").unwrap();
    for key in [
        "../secret",
        "/etc/passwd",
        "documents/../../secret",
        "Documents/A",
        "a//b",
        "",
    ] {
        let err = store.put(key, b"x", "text/plain").await.unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidKey { .. }),
            "put {key:?}: {err}"
        );
        let err = store.get(key).await.unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidKey { .. }),
            "get {key:?}: {err}"
        );
        let err = store.exists(key).await.unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidKey { .. }),
            "exists {key:?}: {err}"
        );
    }
    assert_eq!(
        std::fs::read(tmp.path().join("secret")).unwrap(),
        b"outside"
    );
    assert!(all_names(&tmp.path().join("blobs")).is_empty());
}

#[tokio::test]
async fn unwritable_data_directory_has_a_clear_message() {
    // Tests run as root, where permission bits do not stop writes; a folder "below" a
    // regular file cannot be created by anyone.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let root = file.join("sub");
    let store = BlobStore::from_url(root.to_str().unwrap()).unwrap();

    let err = store.ensure_ready().await.unwrap_err();
    assert!(matches!(err, BlobError::NotWritable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "data directory {} is not writable: not a directory",
            root.display()
        )
    );
    let err = store.health().await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "data directory {} is not writable: ",
            root.display()
        )),
        "{err}"
    );
    let err = store.put(KEY, b"x", "text/plain").await.unwrap_err();
    assert!(matches!(err, BlobError::NotWritable { .. }), "{err:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn permission_denied_when_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ro");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root (and CAP_DAC_OVERRIDE) ignore the mode: then there is nothing to observe here;
    // unwritable_data_directory_has_a_clear_message covers the message either way.
    if std::fs::write(root.join("probe"), b"").is_ok() {
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let store = BlobStore::from_url(root.to_str().unwrap()).unwrap();
    let err = store.ensure_ready().await.unwrap_err();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "data directory {} is not writable: permission denied",
            root.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_of_one_key_leave_one_complete_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path());
    store.ensure_ready().await.unwrap();
    // Large enough that a non-atomic write would be observable as a torn read.
    let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();

    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = store.clone();
        let content = content.clone();
        tasks.push(tokio::spawn(async move {
            store.put(KEY, &content, "application/pdf").await
        }));
    }
    // Readers racing the writers see nothing or the whole blob, never a prefix.
    let reader = {
        let store = store.clone();
        let len = content.len();
        tokio::spawn(async move {
            for _ in 0..50 {
                match store.get(KEY).await {
                    Ok(bytes) => assert_eq!(bytes.len(), len, "torn read"),
                    Err(e) => assert!(e.is_not_found(), "{e}"),
                }
            }
        })
    };
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    reader.await.unwrap();
    assert_eq!(store.get(KEY).await.unwrap(), content);
    assert_eq!(all_names(&tmp.path().join("blobs")), vec![KEY.to_owned()]);
}

#[test]
fn describe_names_the_folder() {
    let store = BlobStore::from_url("file:///var/lib/papyr/blobs").unwrap();
    assert_eq!(store.describe(), "local folder /var/lib/papyr/blobs");
    let store = BlobStore::from_url("/srv/x/").unwrap();
    assert!(
        store.describe().starts_with("local folder /srv/x"),
        "{}",
        store.describe()
    );
}

//! Databases for the store's tests: SQLite in a temporary folder, or a fresh database
//! on the local PostgreSQL server (`PAPYR_TEST_POSTGRES_URL` overrides the server).
use papyr_store::Db;

/// A migrated SQLite database; it lives as long as the returned folder.
pub async fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("papyr.db").display());
    let db = Db::connect(&url, 4).await.expect("sqlite");
    db.migrate().await.unwrap();
    (db, dir)
}

pub fn pg_server() -> String {
    std::env::var("PAPYR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A migrated, freshly created PostgreSQL database named after the test and this
/// process (tests run in parallel processes).
pub async fn postgres(name: &str) -> Db {
    let admin = Db::connect(&format!("{}/test", pg_server()), 2)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 (start it: .ci/run does)");
    let db_name = format!("papyr_t_{name}_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"),
        format!("CREATE DATABASE {db_name}"),
    ] {
        admin
            .raw_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    admin.close().await;
    let db = Db::connect(&format!("{}/{db_name}", pg_server()), 8)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

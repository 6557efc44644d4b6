//! Building runtime-checked statements whose filters vary: placeholders are numbered
//! as values are added, so the SQL text and the bound values cannot drift apart.
use crate::Backend;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// Values for `$1`, `$2`, ... in order.
#[derive(Debug, Default)]
pub(crate) struct Args(Vec<Arg>);

impl Args {
    /// Add a value; returns its placeholder.
    pub(crate) fn add(&mut self, v: impl Into<Arg>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }

    /// `$a, $b, ...` for a list of values (for `IN (...)`).
    pub(crate) fn add_list<T: Into<Arg> + Clone>(&mut self, vs: &[T]) -> String {
        vs.iter()
            .map(|v| self.add(v.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn bind<'q>(
        self,
        mut q: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for a in self.0 {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
            };
        }
        q
    }
}

/// Row lock for a read-then-write transaction. PostgreSQL needs it; SQLite's
/// `BEGIN IMMEDIATE` already holds the database's single write lock.
///
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: a worker committing a stage of the same
/// document holds the row's `KEY SHARE` lock (from its foreign-key inserts) and then
/// updates the row; a `FOR UPDATE` waiting between the two would deadlock with it.
pub(crate) fn lock_rows(backend: Backend, table_alias: &str) -> String {
    match backend {
        Backend::Postgres => format!(" FOR NO KEY UPDATE OF {table_alias}"),
        Backend::Sqlite => String::new(),
    }
}

/// `LIKE` pattern matching `needle` anywhere, with `\` as the escape character.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

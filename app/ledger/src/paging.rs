//! What every paged read shares: the search text people type, the size of a page, and statements
//! assembled from the filters a request actually uses (each variant keeps its own query plan, which a
//! catch-all `($1 IS NULL OR …)` would not).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::QueryAs;
use sqlx::{Any, FromRow};

use crate::values::without_nul;

/// The most rows one page may hold, whatever a caller asks for.
pub const MAX_PAGE_ROWS: u32 = 200;

/// Rows a page holds when asked for `limit`: at least one, at most [`MAX_PAGE_ROWS`].
pub(crate) fn page_rows(limit: u32) -> usize {
    limit.clamp(1, MAX_PAGE_ROWS) as usize
}

/// What someone typed into a search box: trimmed, never empty, with A-Z folded to a-z so that it
/// matches regardless of case (other letters match as typed, the same on both backends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` for a blank box: no search at all.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty()).then(|| Self(without_nul(&text.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The end of the range of keys that start with this text: every character sorts below
    /// U+10FFFF, bytewise in UTF-8 too, so `prefix <= key < prefix_end` is "starts with".
    pub(crate) fn prefix_end(&self) -> String {
        format!("{}\u{10FFFF}", self.0)
    }
}

/// A value bound to a placeholder of a [`Statement`].
#[derive(Clone)]
enum Arg {
    Int(i64),
    Text(String),
}

/// SQL text and the values of its `$n` placeholders, built up clause by clause.
#[derive(Default)]
pub(crate) struct Statement {
    sql: String,
    args: Vec<Arg>,
}

impl Statement {
    /// A statement written whole, whose placeholders hold `values` in turn.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn of_ints(sql: String, values: impl IntoIterator<Item = i64>) -> Self {
        Self {
            sql,
            args: values.into_iter().map(Arg::Int).collect(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// A new placeholder holding `value`, to write into the SQL (as often as needed).
    pub(crate) fn int(&mut self, value: i64) -> String {
        self.args.push(Arg::Int(value));
        format!("${}", self.args.len())
    }

    pub(crate) fn text(&mut self, value: impl Into<String>) -> String {
        self.args.push(Arg::Text(value.into()));
        format!("${}", self.args.len())
    }

    pub(crate) fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        self.args
            .iter()
            .fold(sqlx::query_as(&self.sql), |query, arg| match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.as_str()),
            })
    }
}

/// The database's plan for `statement`, one line per step: SQLite's `EXPLAIN QUERY PLAN`, or
/// PostgreSQL's `EXPLAIN` (planned for the bound values), for the test that proves no page reads a
/// whole table.
#[cfg(any(test, feature = "testing"))]
pub(crate) async fn explain(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    statement: &Statement,
) -> Result<String, sqlx::Error> {
    let explained = |prefix: &str| Statement {
        sql: format!("{prefix}{}", statement.sql),
        args: statement.args.clone(),
    };
    let lines: Vec<String> = match backend {
        crate::Backend::Sqlite => explained("EXPLAIN QUERY PLAN ")
            .query_as::<(i64, i64, i64, String)>()
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect(),
        crate::Backend::Postgres => explained("EXPLAIN ")
            .query_as::<(String,)>()
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|(line,)| line)
            .collect(),
    };
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_search_is_no_search_and_case_is_folded() {
        assert_eq!(SearchText::parse("   "), None);
        assert_eq!(
            SearchText::parse("  Acme Tel ").unwrap().as_str(),
            "acme tel"
        );
        assert_eq!(SearchText::parse("École").unwrap().as_str(), "École");
    }

    #[test]
    fn the_prefix_range_holds_every_key_that_starts_with_the_text() {
        let end = SearchText::parse("ac").unwrap().prefix_end();
        for key in ["ac", "acme", "ac\u{10FFFE}", "ac😀"] {
            assert!("ac" <= key && key < end.as_str(), "{key}");
        }
        assert!("ad" > end.as_str());
    }
}

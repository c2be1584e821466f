//! A small builder for SQL text and its bound values.
//!
//! Both dialects accept `$1`-style placeholders (sqlx's SQLite driver maps `$N` to the N-th
//! argument), so one statement text serves SQLite and PostgreSQL. The text is assembled only from
//! constants in this crate; every value a caller supplies is bound, never spliced.

use chrono::{DateTime, NaiveDate, Utc};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Float(Option<f64>),
    OptionalInt(Option<i64>),
    Text(String),
    OptionalText(Option<String>),
    Bool(bool),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    /// Raw bytes (an uploaded image): BLOB in SQLite, BYTEA in PostgreSQL.
    Bytes(Vec<u8>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}
impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Self::OptionalInt(value)
    }
}
impl From<Option<f64>> for Param {
    fn from(value: Option<f64>) -> Self {
        Self::Float(value)
    }
}
impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}
impl From<String> for Param {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}
impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Self {
        Self::OptionalText(value.map(str::to_owned))
    }
}
impl From<bool> for Param {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}
impl From<NaiveDate> for Param {
    fn from(value: NaiveDate) -> Self {
        Self::Date(value)
    }
}
impl From<Vec<u8>> for Param {
    fn from(value: Vec<u8>) -> Self {
        Self::Bytes(value)
    }
}
impl From<DateTime<Utc>> for Param {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(value)
    }
}

/// SQL text with its parameters, built left to right.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    pub(super) text: String,
    pub(super) params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let placeholder = format!("${}", self.params.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Appends `(p1, p2, ...)` for an `IN` list; `(NULL)` for an empty one, which nothing is in
    /// (PostgreSQL refuses `IN ()`).
    pub fn bind_list<T: Into<Param>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        self.text.push('(');
        let mut empty = true;
        for value in values {
            if !empty {
                self.text.push_str(", ");
            }
            self.bind(value);
            empty = false;
        }
        if empty {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }

    /// Appends a multi-row `VALUES (..), (..)` list; each row's columns are bound.
    pub fn bind_rows(&mut self, rows: impl IntoIterator<Item = Vec<Param>>) -> &mut Self {
        self.text.push_str("VALUES ");
        for (index, row) in rows.into_iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            self.bind_list(row);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_bound() {
        let mut sql = Sql::new("SELECT id FROM units WHERE owner_id = ");
        sql.bind(7)
            .push(" AND kind IN ")
            .bind_list(["school", "arts_school"]);
        assert_eq!(
            sql.text,
            "SELECT id FROM units WHERE owner_id = $1 AND kind IN ($2, $3)"
        );
        assert_eq!(sql.params.len(), 3);
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let mut sql = Sql::new("SELECT id FROM units WHERE owner_id IN ");
        sql.bind_list(Vec::<i64>::new());
        assert_eq!(sql.text, "SELECT id FROM units WHERE owner_id IN (NULL)");
        assert!(sql.params.is_empty());
    }

    #[test]
    fn rows_become_a_values_list() {
        let mut sql = Sql::new("INSERT INTO school_years (year) ");
        sql.bind_rows([vec![Param::Int(2024)], vec![Param::Int(2025)]]);
        assert_eq!(
            sql.text,
            "INSERT INTO school_years (year) VALUES ($1), ($2)"
        );
    }
}

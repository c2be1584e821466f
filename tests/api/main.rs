//! Integration tests: the real router, a real database, real HTTP. Each test runs on SQLite and on
//! PostgreSQL (see `on_both_databases!`).

mod helpers;

mod abuse;
mod aggregation;
mod errors;
mod graphql_over_http;
mod isolation;
mod login;
mod pagination;
mod reads;
mod schema;

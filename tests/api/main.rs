//! Integration tests: the real router, a real database, real HTTP. Each test runs on SQLite and on
//! PostgreSQL (see `on_both_databases!`).

#![allow(clippy::unwrap_used)] // a test fails by panicking

mod helpers;

mod abuse;
mod aggregation;
mod audit;
mod caching;
mod clients;
mod disclosure;
mod errors;
mod exports;
mod graphiql;
mod graphql_over_http;
mod import;
mod import_jobs;
mod import_rules;
mod initiatives;
mod isolation;
mod live;
mod login;
mod meetings;
mod metrics;
mod pagination;
mod persisted;
mod quality;
mod reads;
mod schema;
mod scoped_reader;
mod snapshots;

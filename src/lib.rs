//! Varde: a GraphQL backend over the data and process of quality development in Norwegian
//! education (owners, units, selections, indicators and their values).
//!
//! Layers, with dependencies pointing inward: [`domain`] (pure types and rules) ← [`store`]
//! (SQL on SQLite or PostgreSQL) ← [`graphql`] (schema, loaders) ← [`http`] (axum router).
//! [`import`] reads the sources' files into the store, [`seed`] loads the demo data, [`generate`] the benchmark's national-scale data; [`auth`] logs callers in; [`cli`] and the binary are the thin
//! shell.

pub mod app;
pub mod auth;
pub mod cli;
pub mod domain;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod import;
pub mod mail;
pub mod seed;
pub mod store;

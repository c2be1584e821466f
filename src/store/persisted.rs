//! Persisted queries: GraphQL documents kept by the SHA-256 hash of their text.

use super::{Sql, Store, StoreResult};

impl Store {
    /// The document registered under `sha256`, if any.
    pub async fn persisted_query(&self, sha256: &str) -> StoreResult<Option<String>> {
        let mut sql = Sql::new("SELECT query FROM persisted_queries WHERE sha256 = ");
        sql.bind(sha256);
        Ok(self
            .fetch_optional::<(String,)>(sql)
            .await?
            .map(|(query,)| query))
    }

    /// Registers `query` under `sha256` (which the caller has checked), unless `limit` documents
    /// are registered already; a hash registered before keeps its document.
    pub async fn persist_query(
        &self,
        sha256: &str,
        query: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<()> {
        let mut sql = Sql::new("INSERT INTO persisted_queries (sha256, query, created_at) SELECT ");
        sql.bind(sha256)
            .push(", ")
            .bind(query)
            .push(", ")
            .bind(now)
            .push(" WHERE (SELECT COUNT(*) FROM persisted_queries) < ")
            .bind(limit)
            .push(" ON CONFLICT (sha256) DO NOTHING");
        self.execute_in_transaction(vec![sql]).await
    }
}

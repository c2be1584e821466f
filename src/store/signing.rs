//! Signing keys: the secrets behind signed download URLs, shared by every Varde process.

use super::{Sql, Store, StoreResult};

impl Store {
    /// The secret named `name`: the one stored, or `candidate` when none is yet (the first process
    /// to ask stores its candidate; every later one, in any process, reads that one).
    pub async fn signing_key(&self, name: &str, candidate: &str, now: i64) -> StoreResult<String> {
        let mut insert = Sql::new("INSERT INTO signing_keys (name, secret, created_at) VALUES (");
        insert
            .bind(name)
            .push(", ")
            .bind(candidate)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (name) DO NOTHING");
        self.execute_in_transaction(vec![insert]).await?;
        let mut select = Sql::new("SELECT secret FROM signing_keys WHERE name = ");
        select.bind(name);
        let (secret,): (String,) = self.fetch_one(select).await?;
        Ok(secret)
    }
}

//! Parsed documents kept by their text. Dashboards send the same few queries all day, and parsing
//! (async-graphql's parser is built on pest) costs more than the rest of a small query; the
//! parsed document is also what the field-order pass and the limits read, so one parse serves
//! them all.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use async_graphql::{Request, parser::types::ExecutableDocument};

/// Documents kept at most; beyond, one kept document makes room for each new one.
const CAPACITY: usize = 512;

/// Longer documents are parsed every time: a cache of a few very large texts would hold
/// megabytes for little.
const MAX_CACHED_LENGTH: usize = 16 * 1024;

/// Parsed documents by their text; documents that do not parse are never kept.
#[derive(Default)]
pub struct DocumentCache {
    documents: Mutex<HashMap<String, ExecutableDocument>>,
}

impl DocumentCache {
    /// Gives `request` its parsed document, from the cache or by parsing it (then kept). A
    /// document that does not parse is left for execution to report.
    pub fn parse(&self, request: &mut Request) {
        let cacheable = request.query.len() <= MAX_CACHED_LENGTH;
        if cacheable && let Some(document) = self.locked().get(&request.query) {
            request.set_parsed_query(document.clone());
            return;
        }
        let Ok(document) = request.parsed_query() else {
            return;
        };
        if cacheable {
            let document = document.clone();
            let mut documents = self.locked();
            if documents.len() >= CAPACITY
                && let Some(evicted) = documents.keys().next().cloned()
            {
                documents.remove(&evicted);
            }
            documents.insert(request.query.clone(), document);
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        // Whole entries are inserted and removed: a panicking holder leaves nothing half-made.
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(cache: &DocumentCache, query: &str) -> Request {
        let mut request = Request::new(query);
        cache.parse(&mut request);
        request
    }

    #[test]
    fn a_document_is_parsed_once_and_served_from_the_cache_after() {
        let cache = DocumentCache::default();
        let mut first = parsed(&cache, "{ owners { totalCount } }");
        let mut second = parsed(&cache, "{ owners { totalCount } }");

        assert_eq!(cache.locked().len(), 1);
        assert_eq!(
            format!("{:?}", first.parsed_query().unwrap()),
            format!("{:?}", second.parsed_query().unwrap())
        );
    }

    #[test]
    fn documents_that_do_not_parse_or_are_too_long_are_not_kept() {
        let cache = DocumentCache::default();
        let mut broken = parsed(&cache, "{ owners {");
        let long = format!("{{ {} }}", "owners { totalCount } ".repeat(1000));
        parsed(&cache, &long);

        assert!(broken.parsed_query().is_err());
        assert!(cache.locked().is_empty());
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity() {
        let cache = DocumentCache::default();
        for index in 0..CAPACITY + 10 {
            parsed(&cache, &format!("{{ a{index}: owners {{ totalCount }} }}"));
        }
        assert_eq!(cache.locked().len(), CAPACITY);
    }
}

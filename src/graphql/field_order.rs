//! Puts the keys of a response in the order the query asked for them.
//!
//! The GraphQL specification (§7.1.2, Serialized Map Ordering) asks that a response lists fields
//! in the order of the selection set. async-graphql resolves the fields of an object concurrently
//! and inserts them as they finish (async-graphql issue #612), so a BI tool that reads columns in
//! query order would see them shuffled. This pass restores the order after execution; the values
//! are untouched.

use async_graphql::{
    Name, Value,
    indexmap::IndexMap,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// Reorders `data` to follow the selection set of the executed operation of `document`.
pub fn restore_query_order(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => match operations.get(name) {
            Some(operation) => operation,
            None => return,
        },
        (DocumentOperations::Multiple(_), None) => return,
    };
    reorder(data, &[&operation.node.selection_set.node], document);
}

/// Reorders one value whose fields come from `sets` (several when the same response key is
/// selected more than once, as the specification's field merging allows).
fn reorder(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    match value {
        Value::List(items) => items
            .iter_mut()
            .for_each(|item| reorder(item, sets, document)),
        Value::Object(fields) => {
            let mut grouped = IndexMap::new();
            for set in sets {
                collect_fields(set, document, &mut grouped);
            }
            let mut ordered = IndexMap::with_capacity(fields.len());
            for (key, subsets) in grouped {
                if let Some(mut field) = fields.shift_remove(&key) {
                    reorder(&mut field, &subsets, document);
                    ordered.insert(key, field);
                }
            }
            // Nothing should remain; if something does, keep it rather than lose data.
            ordered.extend(fields.drain(..));
            *fields = ordered;
        }
        _ => {}
    }
}

/// Groups the fields of a selection set by response key, in order of first appearance, with
/// fragments expanded in place. A key first met in a fragment on another type is placed as if
/// that fragment applied; only the relative order of such keys can differ from the specification.
fn collect_fields<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    grouped: &mut IndexMap<Name, Vec<&'a SelectionSet>>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                grouped
                    .entry(key)
                    .or_default()
                    .push(&field.node.selection_set.node);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect_fields(&fragment.node.selection_set.node, document, grouped);
                }
            }
            Selection::InlineFragment(fragment) => {
                collect_fields(&fragment.node.selection_set.node, document, grouped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(fields) => fields.keys().map(|key| key.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    fn object(pairs: serde_json::Value) -> Value {
        Value::from_json(pairs).expect("valid JSON value")
    }

    #[test]
    fn fields_follow_the_query_through_aliases_lists_and_fragments() {
        let query = "query Q { owner { b: code ...F units { edges { node { z a } } } } }
                     fragment F on Owner { name ... on Owner { kind } }";
        let mut data = object(json!({
            "owner": {
                "units": {"edges": [{"node": {"a": 1, "z": 2}}, {"node": {"a": 3, "z": 4}}]},
                "kind": "MUNICIPALITY",
                "name": "Lillestrøm kommune",
                "b": "3205"
            }
        }));
        let document = async_graphql::parser::parse_query(query).unwrap();
        restore_query_order(&mut data, &document, Some("Q"));
        let Value::Object(root) = &data else {
            panic!("object expected")
        };
        let owner = &root["owner"];
        assert_eq!(keys(owner), ["b", "name", "kind", "units"]);
        let Value::Object(owner) = owner else {
            panic!("object expected")
        };
        let Value::Object(units) = &owner["units"] else {
            panic!("object expected")
        };
        let Value::List(edges) = &units["edges"] else {
            panic!("list expected")
        };
        for edge in edges {
            let Value::Object(edge) = edge else {
                panic!("object expected")
            };
            assert_eq!(keys(&edge["node"]), ["z", "a"]);
        }
    }
}

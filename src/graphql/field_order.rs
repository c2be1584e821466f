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
    let plan = Plan::of(&[&operation.node.selection_set.node], document);
    plan.apply(data);
}

/// The order of a response's keys, worked out once per request from the query: for an object,
/// its response keys in query order, each with the plan of its own value. A list's items share
/// their field's plan, so a colour table's thousands of cells cost a comparison each.
struct Plan {
    fields: IndexMap<Name, Plan>,
}

impl Plan {
    /// The plan of a value whose fields come from `sets` (several when the same response key
    /// is selected more than once, as the specification's field merging allows).
    fn of(sets: &[&SelectionSet], document: &ExecutableDocument) -> Self {
        let mut grouped = IndexMap::new();
        for set in sets {
            collect_fields(set, document, &mut grouped);
        }
        Self {
            fields: grouped
                .into_iter()
                .map(|(key, subsets)| (key, Self::of(&subsets, document)))
                .collect(),
        }
    }

    /// Puts `value`'s keys, and those of every value inside it, in query order. An object
    /// already in order, as most are, is only walked.
    fn apply(&self, value: &mut Value) {
        match value {
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            Value::Object(fields) if !self.fields.is_empty() => {
                if fields.keys().eq(self.fields.keys()) {
                    for (field, plan) in fields.values_mut().zip(self.fields.values()) {
                        plan.apply(field);
                    }
                    return;
                }
                // Keys the selection does not name should not occur; if one does, it keeps its
                // place after the named ones rather than being lost (the sort is stable).
                fields.sort_by_cached_key(|key, _| {
                    self.fields.get_index_of(key).unwrap_or(usize::MAX)
                });
                for (key, field) in fields.iter_mut() {
                    if let Some(plan) = self.fields.get(key) {
                        plan.apply(field);
                    }
                }
            }
            _ => {}
        }
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
        // The first edge is in order and the second is not: the items of a list share one
        // plan, and each is still checked on its own.
        let query = "query Q { owner { b: code ...F units { edges { node { z a } } } } }
                     fragment F on Owner { name ... on Owner { kind } }";
        let mut data = object(json!({
            "owner": {
                "units": {"edges": [{"node": {"z": 2, "a": 1}}, {"node": {"a": 3, "z": 4}}]},
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

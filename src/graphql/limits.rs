//! What one GraphQL request may ask for, checked on the parsed document before any resolver runs:
//! its cost (the most fields its answer can hold), depth, aliases, fields per selection set and
//! directives, and the specification's rule that a directive appears once per location.
//!
//! The cost of a field is 1 plus its multiplier times the cost of its children. The multiplier is
//! the page size for a connection (a field taking `first`/`last`: the one given, else the
//! default), indicators x units for the analysis fields ([`ANALYSIS_UNITS`]), the most an
//! initiative's linked lists may hold ([`BOUNDED_LISTS`]), an estimate for the
//! lists of introspection ([`INTROSPECTION_LISTS`]), and 1 for everything else (the other lists
//! are bounded by the data: school years, data sources, a code history). Nested lists multiply.

use std::collections::HashMap;

use async_graphql::{
    Pos, Positioned, ServerError, Value, Variables,
    parser::types::{
        BaseType, Directive, ExecutableDocument, Field, OperationDefinition, Selection,
        SelectionSet, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
    },
};

use super::{
    error::ErrorCode,
    paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
};
use crate::domain::MAX_LINKS;

/// Analysis fields of the query root, with the units (or school years, for `trend` and
/// `levelDistribution`, which allows at most 20) each answers per indicator asked for: upper estimates of real data (Oslo has about 180 schools, about 360
/// kommuner have a kulturskole). Their cost is indicators x units x their selection.
const ANALYSIS_UNITS: &[(&str, u64)] = &[
    ("colourTable", 200),
    ("aggregate", 200),
    ("keyFigures", 200),
    ("trend", 20),
    ("artsSchoolAggregation", 400),
    ("levelDistribution", 20),
];

/// Lists bounded by what one write may store, by parent type and field: an initiative links at
/// most `domain::MAX_LINKS` indicators, targets, criteria and school years.
const BOUNDED_LISTS: &[(&str, &str)] = &[
    ("Initiative", "targets"),
    ("Initiative", "situationSnapshot"),
    ("Initiative", "criteria"),
    ("Initiative", "indicators"),
    ("Initiative", "schoolYears"),
];

/// Lists of a meeting, bounded by what one write may store (`domain::MAX_AGENDA_ITEMS` and the
/// rest), and a figure table's rows (units, as [`ANALYSIS_UNITS`]) and cells (indicators).
const MEETING_LISTS: &[(&str, &str, u64)] = &[
    ("Meeting", "agenda", 12),
    ("Meeting", "participants", 500),
    ("Meeting", "images", 20),
    ("AgendaItem", "images", 20),
    ("MeetingMinutes", "decisions", 30),
    ("FigureTable", "rows", 200),
    ("FigureRow", "cells", 10),
];

/// An import job's problems: the report lists at most the first 1000 (`import::LISTED_PROBLEMS`).
const IMPORT_LISTS: &[(&str, &str, u64)] = &[("ImportJob", "problems", 1000)];

/// Lists of the introspection types, with the items each typically holds in Varde's schema.
const INTROSPECTION_LISTS: &[(&str, u64)] = &[
    ("types", 100),
    ("fields", 8),
    ("args", 2),
    ("inputFields", 4),
    ("enumValues", 4),
    ("interfaces", 1),
    ("possibleTypes", 2),
    ("directives", 8),
];

/// The limits of one request. Every refusal names its limit in `extensions.code`.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    /// Highest cost (most fields the answer can hold): `QUERY_TOO_COSTLY`.
    pub max_cost: u64,
    /// Deepest nesting of selections: `QUERY_TOO_DEEP`.
    pub max_depth: usize,
    /// Most aliased fields in a request: `TOO_MANY_ALIASES`.
    pub max_aliases: usize,
    /// Most fields in one selection set, fragments included: `TOO_MANY_FIELDS`.
    pub max_fields_per_selection: usize,
    /// Most directives in a request: `TOO_MANY_DIRECTIVES`.
    pub max_directives: usize,
    /// Largest answer in bytes: `RESPONSE_TOO_LARGE` (checked while the answer is written).
    pub max_response_bytes: usize,
    /// Whether `__schema` and `__type` answer.
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_cost: 250_000,
            max_depth: 16,
            max_aliases: 100,
            max_fields_per_selection: 100,
            max_directives: 50,
            max_response_bytes: 16 * 1024 * 1024,
            introspection: true,
        }
    }
}

/// A refused request: its code, a message, and the measured value against the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: ErrorCode,
    pub message: String,
    /// The name of the measure in `extensions` (`cost`, `aliases`, ...) and its value.
    pub measure: &'static str,
    pub value: u64,
    pub limit: u64,
}

impl Violation {
    fn new(code: ErrorCode, measure: &'static str, value: u64, limit: u64, what: &str) -> Self {
        Self {
            code,
            message: format!("{what}: {value}, more than the limit of {limit}"),
            measure,
            value,
            limit,
        }
    }

    /// The GraphQL error carrying the code, the measured value and the limit.
    pub fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(self.message, None);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", self.code.as_str());
        extensions.set(self.measure, self.value);
        extensions.set("limit", self.limit);
        error
    }
}

/// What the walk needs of a schema field.
#[derive(Debug, Clone)]
struct FieldInfo {
    /// The named type of the field, lists and non-null unwrapped.
    type_name: String,
    /// Takes `first`/`last`: a Relay connection, paged.
    paged: bool,
}

/// The fields of every object and interface type, read from the SDL once at start-up, so that
/// new connection fields are costed without a line here.
#[derive(Debug, Clone, Default)]
pub struct SchemaIndex {
    fields: HashMap<(String, String), FieldInfo>,
    query_type: String,
    mutation_type: String,
    subscription_type: String,
}

impl SchemaIndex {
    pub fn from_sdl(sdl: &str) -> Self {
        let document: ServiceDocument =
            async_graphql::parser::parse_schema(sdl).expect("the schema's own SDL parses");
        let mut index = Self {
            query_type: "Query".into(),
            mutation_type: "Mutation".into(),
            subscription_type: "Subscription".into(),
            ..Self::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = schema.node.query {
                        index.query_type = query.node.to_string();
                    }
                    if let Some(mutation) = schema.node.mutation {
                        index.mutation_type = mutation.node.to_string();
                    }
                    if let Some(subscription) = schema.node.subscription {
                        index.subscription_type = subscription.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let fields = match definition.node.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    for field in fields {
                        let paged = field.node.arguments.iter().any(|argument| {
                            matches!(argument.node.name.node.as_str(), "first" | "last")
                        });
                        index.fields.insert(
                            (
                                definition.node.name.node.to_string(),
                                field.node.name.node.to_string(),
                            ),
                            FieldInfo {
                                type_name: named_type(&field.node.ty.node).to_owned(),
                                paged,
                            },
                        );
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        index
    }
}

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named_type(inner),
    }
}

/// Checks the operation `operation_name` selects; answers its cost, or every limit it breaks.
/// A document whose operation cannot be chosen is left to execution to refuse.
pub fn check(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    index: &SchemaIndex,
    limits: &QueryLimits,
) -> Result<u64, Vec<Violation>> {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(candidate, _)| candidate.is_some_and(|candidate| candidate.as_str() == name)),
        None => {
            let mut operations = document.operations.iter();
            match (operations.next(), operations.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    };
    let Some((_, operation)) = operation else {
        return Ok(0);
    };
    let mut walk = Walk {
        document,
        operation: &operation.node,
        variables,
        index,
        limits,
        fields_seen: 0,
        aliases: 0,
        directives: 0,
        widest: 0,
        fragments: Vec::new(),
    };
    walk.count_directives(&operation.node.directives)
        .map_err(|violation| vec![violation])?;
    let root = match operation.node.ty {
        async_graphql::parser::types::OperationType::Mutation => index.mutation_type.clone(),
        async_graphql::parser::types::OperationType::Subscription => {
            index.subscription_type.clone()
        }
        async_graphql::parser::types::OperationType::Query => index.query_type.clone(),
    };
    let cost = walk
        .selection_set(&operation.node.selection_set.node, Some(&root), 1)
        .map_err(|violation| vec![violation])?;
    let mut violations = Vec::new();
    if cost > limits.max_cost {
        violations.push(Violation::new(
            ErrorCode::QueryTooCostly,
            "cost",
            cost,
            limits.max_cost,
            "the query's cost (the most fields its answer can hold) is too high",
        ));
    }
    let counts = [
        (
            walk.aliases,
            limits.max_aliases,
            ErrorCode::TooManyAliases,
            "aliases",
            "too many aliases",
        ),
        (
            walk.widest,
            limits.max_fields_per_selection,
            ErrorCode::TooManyFields,
            "fields",
            "too many fields in one selection set",
        ),
        (
            walk.directives,
            limits.max_directives,
            ErrorCode::TooManyDirectives,
            "directives",
            "too many directives",
        ),
    ];
    for (value, limit, code, measure, what) in counts {
        if value > limit {
            violations.push(Violation::new(
                code,
                measure,
                count(value),
                count(limit),
                what,
            ));
        }
    }
    if violations.is_empty() {
        Ok(cost)
    } else {
        Err(violations)
    }
}

fn count(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    index: &'a SchemaIndex,
    limits: &'a QueryLimits,
    /// Fields visited, fragments expanded: every one costs at least 1, so the walk stops once
    /// this passes the cost limit (a fragment spread twice per level would otherwise take
    /// exponential time).
    fields_seen: u64,
    aliases: usize,
    directives: usize,
    /// The most fields of one selection set.
    widest: usize,
    /// The fragments being expanded, to refuse cycles.
    fragments: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    /// The cost of a selection set on `parent` (`None` when the type is unknown: introspection
    /// or a field that validation will refuse).
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&str>,
        depth: usize,
    ) -> Result<u64, Violation> {
        if depth > self.limits.max_depth {
            return Err(Violation::new(
                ErrorCode::QueryTooDeep,
                "depth",
                count(depth),
                count(self.limits.max_depth),
                "the query nests too deep",
            ));
        }
        let mut fields = Vec::new();
        self.collect(set, parent, &mut fields)?;
        self.widest = self.widest.max(fields.len());
        let mut cost: u64 = 0;
        for (field, parent) in fields {
            self.fields_seen += 1;
            if self.fields_seen > self.limits.max_cost {
                return Err(self.too_costly(self.fields_seen));
            }
            if field.alias.is_some() {
                self.aliases += 1;
            }
            self.count_directives(&field.directives)?;
            let info = parent.as_deref().and_then(|parent| {
                self.index
                    .fields
                    .get(&(parent.to_owned(), field.name.node.to_string()))
            });
            let children = if field.selection_set.node.items.is_empty() {
                0
            } else {
                let child_type = info.map(|info| info.type_name.clone());
                self.selection_set(&field.selection_set.node, child_type.as_deref(), depth + 1)?
            };
            let multiplier = self.multiplier(field, parent.as_deref(), info);
            cost = cost.saturating_add(1 + multiplier.saturating_mul(children));
        }
        Ok(cost)
    }

    /// The fields of a selection set with the type each is selected on, fragments expanded.
    fn collect(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&str>,
        fields: &mut Vec<(&'a Field, Option<String>)>,
    ) -> Result<(), Violation> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    fields.push((&field.node, parent.map(str::to_owned)));
                    // Every field costs at least 1: a set this wide is too costly already.
                    if count(fields.len()) > self.limits.max_cost {
                        return Err(self.too_costly(count(fields.len())));
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.count_directives(&fragment.node.directives)?;
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str())
                        .or(parent);
                    self.collect(&fragment.node.selection_set.node, on, fields)?;
                }
                Selection::FragmentSpread(spread) => {
                    self.count_directives(&spread.node.directives)?;
                    let name = spread.node.fragment_name.node.as_str();
                    // Unknown fragments are refused by validation.
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.fragments.contains(&name) {
                        return Err(Violation {
                            code: ErrorCode::GraphqlValidationFailed,
                            message: format!("fragment {name} spreads itself"),
                            measure: "fragmentCycles",
                            value: 1,
                            limit: 0,
                        });
                    }
                    self.count_directives(&fragment.node.directives)?;
                    self.fragments.push(name);
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    self.collect(&fragment.node.selection_set.node, Some(on), fields)?;
                    self.fragments.pop();
                }
            }
        }
        Ok(())
    }

    fn too_costly(&self, at_least: u64) -> Violation {
        Violation::new(
            ErrorCode::QueryTooCostly,
            "cost",
            at_least,
            self.limits.max_cost,
            "the query's cost (the most fields its answer can hold) is at least",
        )
    }

    /// Counts directives and refuses one repeated at a location (GraphQL spec 5.7.3; none of
    /// Varde's directives is repeatable).
    fn count_directives(&mut self, directives: &[Positioned<Directive>]) -> Result<(), Violation> {
        self.directives += directives.len();
        for (at, directive) in directives.iter().enumerate() {
            let name = directive.node.name.node.as_str();
            if directives[..at]
                .iter()
                .any(|earlier| earlier.node.name.node.as_str() == name)
            {
                return Err(Violation {
                    code: ErrorCode::DuplicateDirective,
                    message: format!(
                        "the directive @{name} appears more than once at one location ({})",
                        position(directive.pos)
                    ),
                    measure: "occurrences",
                    value: count(
                        directives
                            .iter()
                            .filter(|other| other.node.name.node.as_str() == name)
                            .count(),
                    ),
                    limit: 1,
                });
            }
        }
        Ok(())
    }

    /// How many times a field's selection is answered: the one table of cost rules.
    fn multiplier(&self, field: &Field, parent: Option<&str>, info: Option<&FieldInfo>) -> u64 {
        let name = field.name.node.as_str();
        if parent == Some(self.index.query_type.as_str())
            && let Some((_, units)) = ANALYSIS_UNITS.iter().find(|(field, _)| *field == name)
        {
            let indicators = match self.argument(field, "indicators") {
                Some(Value::List(items)) => count(items.len()),
                _ => 1,
            };
            return indicators.max(1).saturating_mul(*units);
        }
        if info.is_some_and(|info| info.paged) {
            let size = ["first", "last"]
                .iter()
                .find_map(|argument| match self.argument(field, argument) {
                    Some(Value::Number(number)) => number.as_u64(),
                    _ => None,
                })
                .unwrap_or(u64::from(DEFAULT_PAGE_SIZE));
            return size.clamp(1, u64::from(MAX_PAGE_SIZE));
        }
        if let Some((_, _, items)) = MEETING_LISTS
            .iter()
            .chain(IMPORT_LISTS)
            .find(|(of, list, _)| Some(*of) == parent && *list == name)
        {
            return *items;
        }
        if BOUNDED_LISTS.contains(&(parent.unwrap_or_default(), name)) {
            return u64::try_from(MAX_LINKS).unwrap_or(u64::MAX);
        }
        if info.is_none()
            && let Some((_, items)) = INTROSPECTION_LISTS.iter().find(|(list, _)| *list == name)
        {
            return *items;
        }
        1
    }

    /// An argument's value with variables applied (their defaults when not given).
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = &field.get_argument(name)?.node;
        let resolved = value.clone().into_const_with(|variable| {
            self.variables
                .get(&variable)
                .cloned()
                .or_else(|| {
                    self.operation
                        .variable_definitions
                        .iter()
                        .find(|definition| definition.node.name.node == variable)
                        .and_then(|definition| definition.node.default_value().cloned())
                })
                .ok_or(())
        });
        resolved.ok()
    }
}

fn position(pos: Pos) -> String {
    format!("line {}, column {}", pos.line, pos.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SchemaIndex {
        SchemaIndex::from_sdl(&crate::graphql::sdl())
    }

    fn run(
        query: &str,
        variables: serde_json::Value,
        limits: &QueryLimits,
    ) -> Result<u64, Vec<Violation>> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check(
            &document,
            None,
            &Variables::from_json(variables),
            &index(),
            limits,
        )
    }

    fn codes(result: Result<u64, Vec<Violation>>) -> Vec<ErrorCode> {
        result
            .expect_err("refused")
            .into_iter()
            .map(|violation| violation.code)
            .collect()
    }

    #[test]
    fn page_sizes_multiply() {
        let limits = QueryLimits::default();
        // owners: 1 + 10 x (edges: 1 + (node: 1 + name 1)) = 31
        let cost = run(
            "{ owners(first: 10) { edges { node { name } } } }",
            serde_json::json!({}),
            &limits,
        );
        assert_eq!(cost, Ok(31));
        // The default page size applies without first/last; variables are applied.
        let cost = run(
            "query($n: Int) { owners { edges { node { units(first: $n) { edges { cursor } } } } } }",
            serde_json::json!({ "n": 3 }),
            &limits,
        );
        // 1 + 50 x (1 + (1 + (1 + 3 x (1 + 1))))
        assert_eq!(cost, Ok(1 + 50 * (1 + 1 + 1 + 3 * 2)));
    }

    #[test]
    fn analysis_costs_indicators_times_units() {
        let cost = run(
            "{ colourTable(rows: {owner: {code: \"3303\"}}, schoolYear: 2024, indicators: [\"a\", \"b\"]) { rows { unit { name } } } }",
            serde_json::json!({}),
            &QueryLimits::default(),
        );
        assert_eq!(cost, Ok(1 + 2 * 200 * 3));
    }

    #[test]
    fn an_initiatives_linked_lists_cost_the_most_they_may_hold() {
        let cost = run(
            "{ initiative(id: \"x\") { targets { value } schoolYears { year } } }",
            serde_json::json!({}),
            &QueryLimits::default(),
        );
        // 1 + (1 + 20 x 1) + (1 + 20 x 1)
        assert_eq!(cost, Ok(1 + 2 * (1 + 20)));
    }

    #[test]
    fn the_page_size_amplification_is_refused() {
        let one = "owners(first: 500) { edges { node { units(first: 500) { edges { node { values(first: 500) { edges { node { value n } } } } } } } } }";
        let query = format!(
            "{{ {} }}",
            (0..800)
                .map(|i| format!("a{i}: {one}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let violations = run(&query, serde_json::json!({}), &QueryLimits::default()).unwrap_err();
        // values: 1 + 500 x 4; units: 1 + 500 x (2 + values); owners: 1 + 500 x (2 + units).
        let values = 1 + 500 * 4;
        let units = 1 + 500 * (2 + values);
        let owners = 1 + 500 * (2 + units);
        assert_eq!(violations[0].code, ErrorCode::QueryTooCostly);
        assert_eq!(violations[0].value, 800 * owners);
        let codes: Vec<ErrorCode> = violations.iter().map(|violation| violation.code).collect();
        assert_eq!(
            codes,
            [
                ErrorCode::QueryTooCostly,
                ErrorCode::TooManyAliases,
                ErrorCode::TooManyFields
            ]
        );
    }

    #[test]
    fn repetitions_and_directives_are_limited() {
        let limits = QueryLimits::default();
        let repeated = format!("{{ {} }}", "schoolYears { year } ".repeat(101));
        assert_eq!(
            codes(run(&repeated, serde_json::json!({}), &limits)),
            [ErrorCode::TooManyFields]
        );
        let twice = "{ schoolYears @include(if: true) @include(if: true) { year } }";
        assert_eq!(
            codes(run(twice, serde_json::json!({}), &limits)),
            [ErrorCode::DuplicateDirective]
        );
        let many = format!(
            "{{ {} }}",
            (0..51)
                .map(|i| format!("y{i}: schoolYears @skip(if: false) {{ year }}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            codes(run(&many, serde_json::json!({}), &limits)),
            [ErrorCode::TooManyDirectives]
        );
    }

    #[test]
    fn fragments_are_expanded_once_and_cycles_refused() {
        let limits = QueryLimits::default();
        let cycle = "{ owners { ...A } } fragment A on OwnerConnection { edges { cursor } ...B } fragment B on OwnerConnection { ...A }";
        assert_eq!(
            codes(run(cycle, serde_json::json!({}), &limits)),
            [ErrorCode::GraphqlValidationFailed]
        );
        // Each fragment spreads the next twice: 2^30 fields if expanded blindly.
        let mut query = String::from("{ schoolYears { ...F0 } }");
        for level in 0..30 {
            query.push_str(&format!(
                " fragment F{level} on SchoolYear {{ ...F{next} a{level}: year ...F{next} }}",
                next = level + 1
            ));
        }
        query.push_str(" fragment F30 on SchoolYear { year }");
        let result = run(&query, serde_json::json!({}), &limits);
        assert_eq!(codes(result), [ErrorCode::QueryTooCostly]);
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!(
            "{{ {}year{} }}",
            "owners { edges { node { ".repeat(6),
            " } } }".repeat(6)
        );
        assert_eq!(
            codes(run(&deep, serde_json::json!({}), &QueryLimits::default())),
            [ErrorCode::QueryTooDeep]
        );
    }
}

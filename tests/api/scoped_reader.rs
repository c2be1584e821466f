//! One access path: what the scoped reader (the only way resolvers read values) hands each seeded
//! role equals every stored value read around Varde, filtered by the pure rule
//! `RestrictedScope::value_access`. The SQL of the value lists and the Rust rule cannot drift.

use std::collections::{BTreeMap, BTreeSet};

use varde::{
    domain::{
        CountyNumber, Grants, IndicatorId, OwnerId, RestrictedScope, SchoolYear, Subject, UnitId,
        ValueAccess, ValueGroup,
    },
    store::{AnalysisFilter, Page, ScopedReader, ValueFilter},
};

use crate::helpers::{Backend, TestApp, seed_rows, stored_rows};

crate::on_both_databases!(the_scoped_reader_gives_every_role_exactly_what_the_rule_allows);

/// Every stored value with what the rule needs, read with plain SQL.
const EVERY_VALUE: &str = "SELECT v.id, v.indicator_id, v.subject_level, v.unit_id, v.owner_id, \
    v.county_number, v.school_year, v.group_code, u.owner_id AS unit_owner_id, s.sensitivity \
    FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id \
    JOIN data_sources s ON s.id = i.source_id LEFT JOIN units u ON u.id = v.unit_id";

#[derive(sqlx::FromRow)]
struct StoredValue {
    id: i64,
    indicator_id: i64,
    subject_level: String,
    unit_id: Option<i64>,
    owner_id: Option<i64>,
    county_number: Option<String>,
    school_year: i64,
    group_code: String,
    unit_owner_id: Option<i64>,
    sensitivity: String,
}

impl StoredValue {
    fn subject(&self) -> Subject {
        match self.subject_level.as_str() {
            "unit" => Subject::Unit(UnitId(self.unit_id.unwrap())),
            "owner" => Subject::Owner(OwnerId(self.owner_id.unwrap())),
            "county" => Subject::County(
                CountyNumber::parse(self.county_number.as_deref().unwrap()).unwrap(),
            ),
            _ => Subject::Nation,
        }
    }

    fn access(&self, scope: &RestrictedScope) -> ValueAccess {
        scope.value_access(
            self.sensitivity == "restricted",
            &self.subject(),
            self.unit_owner_id.map(OwnerId),
        )
    }
}

/// A page large enough for every value of a parent.
const WHOLE: Page = Page {
    after: None,
    before: None,
    limit: 1_000_000,
    from_end: false,
};

async fn the_scoped_reader_gives_every_role_exactly_what_the_rule_allows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let stored = stored_rows::<StoredValue>(&app.database_url, EVERY_VALUE).await;
    let restricted = stored
        .iter()
        .filter(|v| v.sensitivity == "restricted")
        .count();
    assert!(
        restricted > 0 && restricted < stored.len(),
        "the seeds hold both kinds"
    );
    let units: Vec<UnitId> = stored
        .iter()
        .filter_map(|v| v.unit_id.map(UnitId))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let owners: Vec<OwnerId> = stored
        .iter()
        .filter_map(|v| v.owner_id.map(OwnerId))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let groups: BTreeSet<&str> = stored.iter().map(|v| v.group_code.as_str()).collect();
    let years: Vec<SchoolYear> = stored
        .iter()
        .map(|v| SchoolYear::try_from(v.school_year).unwrap())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let indicators: Vec<IndicatorId> = stored
        .iter()
        .map(|v| IndicatorId(v.indicator_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut users: Vec<Option<String>> = vec![None];
    users.extend(
        seed_rows("role_assignments.csv")
            .into_iter()
            .map(|row| Some(row["feide_user_id"].clone())),
    );
    let mut kinds_seen = BTreeSet::new();
    for user in users {
        let roles = match &user {
            Some(user) => app.store.roles_of(user).await.unwrap(),
            None => Vec::new(),
        };
        let scope = Grants { roles }.restricted_scope();
        let reader = ScopedReader::new(app.store.clone(), scope.clone());

        // Lists: exactly the values the rule lets the caller read, at unit and owner level.
        let mut listed: BTreeSet<i64> = BTreeSet::new();
        for values in reader
            .values_of_units(&units, &ValueFilter::default(), &WHOLE)
            .await
            .unwrap()
            .into_values()
        {
            listed.extend(values.iter().map(|value| value.id.0));
        }
        for values in reader
            .values_of_owners(&owners, &ValueFilter::default(), &WHOLE)
            .await
            .unwrap()
            .into_values()
        {
            listed.extend(values.iter().map(|value| value.id.0));
        }
        let readable: BTreeSet<i64> = stored
            .iter()
            .filter(|v| matches!(v.subject_level.as_str(), "unit" | "owner"))
            .filter(|v| v.access(&scope) == ValueAccess::Read)
            .map(|v| v.id)
            .collect();
        assert_eq!(listed, readable, "{backend:?} {user:?}: value lists");

        // Analyses: every value the caller may read or aggregate, tagged by the rule.
        let mut analysed: BTreeMap<i64, ValueAccess> = BTreeMap::new();
        for group in &groups {
            let filter = AnalysisFilter {
                indicators: indicators.clone(),
                school_years: years.clone(),
                group: ValueGroup::parse(group).unwrap(),
                every_group_of: Vec::new(),
                owners: None,
                unit_kinds: Vec::new(),
            };
            for (value, access) in reader.values_for_analysis(&filter).await.unwrap() {
                analysed.insert(value.id.0, access);
            }
        }
        let usable: BTreeMap<i64, ValueAccess> = stored
            .iter()
            .filter(|v| v.subject_level != "county")
            .map(|v| (v.id, v.access(&scope)))
            .filter(|(_, access)| *access != ValueAccess::Denied)
            .collect();
        assert_eq!(analysed, usable, "{backend:?} {user:?}: analysis values");
        kinds_seen.extend(usable.values().map(|access| format!("{access:?}")));
    }
    assert_eq!(
        kinds_seen.len(),
        2,
        "some role reads and some only aggregates: {kinds_seen:?}"
    );
}

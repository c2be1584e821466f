//! The disclosure test (issue 16), which does not trust the rules: as a national reader and as the
//! owner reader of another kommune, collect every answer the analysis queries give about the local
//! surveys on the demo data (every owner, the nation, every group, every school year: aggregates,
//! key figures, colour tables, trends with their changes, the national kulturskole aggregation).
//!
//! Each shown aggregate is a linear equation over a member set known from the seeds: `Σ n·value`
//! and `Σ n` over the unit cells counted (cells with a value that prikking lets through). Per
//! indicator and school year the unknowns are every unit's cells in every group, bound by one
//! identity per unit (everyone = jenter + gutter, in `n` and in `n·value`). Both share one
//! coefficient matrix, so a hidden cell (a unit's own value and `n` in a group, or a hidden
//! aggregate) is determined exactly when its vector lies in the row space of the equations shown
//! and the identities. The test solves that with exact integer elimination and asserts that no
//! hidden cell is determined.
//! A value shown without its `n` (a trend's ownerValue) is counted as if its `n` were shown too:
//! a stronger attacker than the real one. A change beside a hidden value counts as a disclosure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::helpers::{
    Backend, SeededAssessment, TestApp, seed_rows, seeded_assessments, stored_rows,
};
use varde::http::HttpConfig;

crate::on_both_databases!(
    no_hidden_survey_cell_follows_from_the_analysis_answers,
    no_hidden_assessment_level_follows_from_the_level_distributions,
);

const NATIONAL_READER: &str = "analytiker@kulturskoleradet.no";
const OTHER_OWNER_READER: &str = "analytiker@drammen.kommune.no";
/// The groups asked for: everyone, and the kjønn split (GraphQL input, value group code).
const GROUPS: [(Option<&str>, &str); 3] = [
    (None, "all"),
    (Some("GIRLS"), "kjonn=jenter"),
    (Some("BOYS"), "kjonn=gutter"),
];

/// One equation system: an indicator and a school year.
type SystemKey = (String, i32);
/// An answer's place: an indicator, a school year and a group (its value group code).
type CellKey = (String, i32, String);
/// A seeded unit cell: (indicator, organisasjonsnummer, school year, group).
type SeedKey = (String, String, i32, String);
/// What the seeds hold for it: value, n, suppressed at source.
type SeedCell = (Option<f64>, Option<i64>, bool);

/// What the seeds say about the local surveys.
struct World {
    /// Restricted indicators (the pupil and parent surveys) with their source's threshold.
    indicators: BTreeMap<String, i64>,
    /// Arts schools in seed order: (organisasjonsnummer, owner key, active from, active to).
    units: Vec<(String, String, Option<i32>, Option<i32>)>,
    /// Owners with an arts school: key -> (name, current code).
    owners: BTreeMap<String, (String, String)>,
    /// Seeded unit rows: (indicator, org, year, group) -> (value, n, suppressed at source).
    values: HashMap<SeedKey, SeedCell>,
    /// Unit cells the database holds as hidden by complementary suppression among their groups
    /// (decided when the values were written): they enter no aggregate.
    complementary: BTreeSet<SeedKey>,
    years: Vec<i32>,
}

impl World {
    async fn load(app: &TestApp) -> Self {
        let sources: HashMap<String, (String, i64)> = seed_rows("data_sources.csv")
            .into_iter()
            .map(|row| {
                let threshold = row["suppression_threshold"].parse().unwrap();
                (row["code"].clone(), (row["sensitivity"].clone(), threshold))
            })
            .collect();
        let indicators: BTreeMap<String, i64> = seed_rows("indicators.csv")
            .into_iter()
            .filter_map(|row| {
                let (sensitivity, threshold) = &sources[&row["source_code"]];
                (sensitivity == "restricted").then(|| (row["code"].clone(), *threshold))
            })
            .collect();
        assert!(indicators.len() >= 2, "the seeds have local surveys");
        let units: Vec<_> = seed_rows("units.csv")
            .into_iter()
            .filter(|row| row["kind"] == "arts_school")
            .map(|row| {
                (
                    row["org_number"].clone(),
                    row["owner_key"].clone(),
                    row["active_from"].parse().ok(),
                    row["active_to"].parse().ok(),
                )
            })
            .collect();
        let codes: HashMap<String, String> = seed_rows("owner_codes.csv")
            .into_iter()
            .filter(|row| row["valid_to"].is_empty())
            .map(|row| (row["owner_key"].clone(), row["code"].clone()))
            .collect();
        let owners = seed_rows("owners.csv")
            .into_iter()
            .filter(|row| units.iter().any(|unit| unit.1 == row["key"]))
            .map(|row| {
                let code = codes[&row["key"]].clone();
                (row["key"].clone(), (row["name"].clone(), code))
            })
            .collect();
        let values = seed_rows("values.csv")
            .into_iter()
            .filter(|row| {
                row["subject_level"] == "unit" && indicators.contains_key(&row["indicator_code"])
            })
            .map(|row| {
                let key = (
                    row["indicator_code"].clone(),
                    row["subject_code"].clone(),
                    row["school_year"].parse().unwrap(),
                    row["group"].clone(),
                );
                let cell = (
                    row["value"].parse().ok(),
                    row["n"].parse().ok(),
                    row["suppressed"] == "true",
                );
                (key, cell)
            })
            .collect();
        let years = seed_rows("school_years.csv")
            .into_iter()
            .map(|row| row["year"].parse().unwrap())
            .collect();
        Self {
            indicators,
            units,
            owners,
            values,
            complementary: complementary_cells(&app.database_url).await,
            years,
        }
    }

    /// The index of a group in the unknowns of a unit.
    fn group_index(group: &str) -> usize {
        GROUPS.iter().position(|(_, code)| *code == group).unwrap()
    }

    /// The position of a unit's cell in `group` among the unknowns of a system.
    fn unknown(unit: usize, group: &str) -> usize {
        unit * GROUPS.len() + Self::group_index(group)
    }

    fn unknowns(&self) -> usize {
        self.units.len() * GROUPS.len()
    }

    /// Everyone = jenter + gutter, per unit with all three cells seeded.
    fn identities(&self, system: &SystemKey) -> Vec<Vec<i64>> {
        (0..self.units.len())
            .filter(|&unit| {
                GROUPS
                    .iter()
                    .all(|(_, group)| self.has_value(&cell_of(system, group), unit))
            })
            .map(|unit| {
                let mut row = vec![0; self.unknowns()];
                row[Self::unknown(unit, "all")] = 1;
                row[Self::unknown(unit, "kjonn=jenter")] = -1;
                row[Self::unknown(unit, "kjonn=gutter")] = -1;
                row
            })
            .collect()
    }

    fn active(&self, unit: usize, year: i32) -> bool {
        let (_, _, from, to) = &self.units[unit];
        from.is_none_or(|from| from <= year) && to.is_none_or(|to| year <= to)
    }

    /// The seeded `n` of a unit's cell if prikking lets it enter an aggregate.
    fn counted_n(&self, cell: &CellKey, unit: usize) -> Option<i64> {
        let (indicator, year, group) = cell;
        let key = (
            indicator.clone(),
            self.units[unit].0.clone(),
            *year,
            group.clone(),
        );
        match self.values.get(&key) {
            Some((Some(_), Some(n), false))
                if *n >= self.indicators[indicator]
                    && *n > 0
                    && !self.complementary.contains(&key) =>
            {
                Some(*n)
            }
            _ => None,
        }
    }

    fn has_value(&self, cell: &CellKey, unit: usize) -> bool {
        let (indicator, year, group) = cell;
        let key = (
            indicator.clone(),
            self.units[unit].0.clone(),
            *year,
            group.clone(),
        );
        self.values.contains_key(&key)
    }

    /// The member vector of an owner's (`Some`) or the nation's aggregate: 1 for the cell of every
    /// active unit counted by prikking in the cell's group.
    fn members(&self, cell: &CellKey, owner: Option<&str>) -> Vec<i64> {
        let mut vector = vec![0; self.unknowns()];
        for unit in 0..self.units.len() {
            let in_subject = owner.is_none_or(|owner| self.units[unit].1 == owner);
            if in_subject && self.active(unit, cell.1) && self.counted_n(cell, unit).is_some() {
                vector[Self::unknown(unit, &cell.2)] = 1;
            }
        }
        vector
    }

    /// The vector of one unit's own cell.
    fn unit_cell(&self, cell: &CellKey, unit: usize) -> Vec<i64> {
        let mut vector = vec![0; self.unknowns()];
        vector[Self::unknown(unit, &cell.2)] = 1;
        vector
    }

    fn unit_index(&self, org: &str) -> usize {
        self.units.iter().position(|unit| unit.0 == org).unwrap()
    }

    fn owner_by_name(&self, name: &str) -> String {
        self.owners
            .iter()
            .find(|(_, (owner_name, _))| owner_name == name)
            .map(|(key, _)| key.clone())
            .unwrap_or_else(|| panic!("no owner named {name}"))
    }
}

fn cell_of(system: &SystemKey, group: &str) -> CellKey {
    (system.0.clone(), system.1, group.to_owned())
}

fn system_of(cell: &CellKey) -> SystemKey {
    (cell.0.clone(), cell.1)
}

/// The unit cells stored as hidden by complementary suppression: (indicator, org, year, group).
async fn complementary_cells(database_url: &str) -> BTreeSet<SeedKey> {
    const QUERY: &str = "SELECT i.code, u.org_number, v.school_year, v.group_code \
        FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id \
        JOIN units u ON u.id = v.unit_id WHERE v.complementary";
    let rows: Vec<(String, String, i64, String)> = stored_rows(database_url, QUERY).await;
    rows.into_iter()
        .map(|(indicator, org, year, group)| (indicator, org, i32::try_from(year).unwrap(), group))
        .collect()
}

/// Everything one caller learnt: per equation system, the member vectors shown and the hidden cells.
#[derive(Default)]
struct Knowledge {
    shown: HashMap<SystemKey, Vec<Vec<i64>>>,
    hidden: BTreeSet<(SystemKey, Vec<i64>)>,
    /// Changes shown beside a hidden value: each gives that value away.
    change_leaks: Vec<String>,
    answers: usize,
}

impl Knowledge {
    /// Records one aggregate answer (`value` and `n` as answered) over `members`.
    fn aggregate(&mut self, world: &World, cell: &CellKey, members: Vec<i64>, answer: &Value) {
        self.answers += 1;
        if members.iter().all(|member| *member == 0) {
            assert!(
                answer["value"].is_null(),
                "a value over no counted member: {answer}"
            );
            return;
        }
        if answer["value"].is_null() {
            assert!(
                answer["n"].is_null() || answer.get("n").is_none(),
                "n beside a hidden value: {answer}"
            );
            self.hidden.insert((system_of(cell), members));
        } else {
            if let Some(n) = answer.get("n").and_then(Value::as_i64) {
                // The member set is right: its seeded n adds up to the answer's.
                let expected: i64 = (0..world.units.len())
                    .filter(|&unit| members[World::unknown(unit, &cell.2)] == 1)
                    .map(|unit| world.counted_n(cell, unit).unwrap())
                    .sum();
                assert_eq!(n, expected, "n of {cell:?} over {members:?}: {answer}");
            }
            self.shown.entry(system_of(cell)).or_default().push(members);
        }
    }

    /// Records one unit's own cell as answered.
    fn unit(&mut self, world: &World, cell: &CellKey, unit: usize, answer: &Value) {
        self.answers += 1;
        let vector = world.unit_cell(cell, unit);
        if !answer["value"].is_null() {
            self.shown.entry(system_of(cell)).or_default().push(vector);
        } else if world.has_value(cell, unit) {
            self.hidden.insert((system_of(cell), vector));
        }
    }

    /// Every unit cell with a seeded value is a hidden cell unless the caller was shown it.
    fn every_unit_hidden_unless_shown(&mut self, world: &World) {
        for key in world.values.keys() {
            let (indicator, org, year, group) = key;
            let cell = (indicator.clone(), *year, group.clone());
            let vector = world.unit_cell(&cell, world.unit_index(org));
            let shown = self
                .shown
                .get(&system_of(&cell))
                .is_some_and(|rows| rows.contains(&vector));
            if !shown {
                self.hidden.insert((system_of(&cell), vector));
            }
        }
    }

    /// (hidden cells tried, those determined by the answers) and a description of each determined.
    fn solve(&self, world: &World) -> (usize, Vec<String>) {
        let mut determined = Vec::new();
        let mut ranks: HashMap<&SystemKey, (Vec<Vec<i64>>, usize)> = HashMap::new();
        for (system, vector) in &self.hidden {
            let (rows, without) = ranks.entry(system).or_insert_with(|| {
                let mut rows = self.shown.get(system).cloned().unwrap_or_default();
                rows.extend(world.identities(system));
                let without = rank(rows.clone());
                (rows, without)
            });
            let mut with = rows.clone();
            with.push(vector.clone());
            if rank(with) == *without {
                determined.push(format!("{system:?} members {vector:?}"));
            }
        }
        determined.extend(self.change_leaks.iter().cloned());
        (self.hidden.len(), determined)
    }
}

/// The rank of integer rows, by fraction-free elimination (exact).
fn rank(mut rows: Vec<Vec<i64>>) -> usize {
    let columns = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for column in 0..columns {
        let Some(pivot) = (rank..rows.len()).find(|&row| rows[row][column] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        for row in 0..rows.len() {
            if row != rank && rows[row][column] != 0 {
                let (a, b) = (rows[rank][column], rows[row][column]);
                let pivot_row = rows[rank].clone();
                for (target, source) in rows[row].iter_mut().zip(&pivot_row) {
                    *target = *target * a - *source * b;
                }
                let divisor = rows[row].iter().fold(0, |g, x| gcd(g, x.abs()));
                if divisor > 1 {
                    rows[row].iter_mut().for_each(|x| *x /= divisor);
                }
            }
        }
        rank += 1;
    }
    rank
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn group_input(group: Option<&str>) -> Value {
    group.map_or(Value::Null, |gender| json!({ "gender": gender }))
}

async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.query_as(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// Collects every analysis answer about the local surveys that `token`'s holder gets.
async fn collect(app: &TestApp, world: &World, token: &str) -> Knowledge {
    let mut known = Knowledge::default();
    let indicators: Vec<&String> = world.indicators.keys().collect();
    for &year in &world.years {
        let cell = |indicator: &str, group: &str| (indicator.to_owned(), year, group.to_owned());
        // aggregate: every owner and the nation, every group.
        let subjects: Vec<(Option<&str>, Value)> = world
            .owners
            .iter()
            .map(|(key, (_, code))| (Some(key.as_str()), json!({ "owner": { "code": code } })))
            .chain([(None, json!({ "nation": true }))])
            .collect();
        for (owner, subject) in &subjects {
            for (group, code) in GROUPS {
                let answer = data(
                    app,
                    token,
                    "query($s: SubjectRef!, $i: [String!]!, $y: Int!, $g: GroupInput) {
                        aggregate(subject: $s, indicators: $i, schoolYear: $y, group: $g) {
                            indicator { code } value n } }",
                    json!({ "s": subject, "i": indicators, "y": year, "g": group_input(group) }),
                )
                .await;
                for figure in answer["aggregate"].as_array().unwrap() {
                    let cell = cell(figure["indicator"]["code"].as_str().unwrap(), code);
                    known.aggregate(world, &cell, world.members(&cell, *owner), figure);
                }
            }
        }
        for (key, (_, code)) in &world.owners {
            // keyFigures: the owner beside the nation.
            let answer = data(
                app,
                token,
                "query($o: String!, $i: [String!]!, $y: Int!) {
                    keyFigures(owner: {code: $o}, schoolYear: $y, indicators: $i) { figures {
                        ownerValue { indicator { code } value n } nationValue { value n } } } }",
                json!({ "o": code, "i": indicators, "y": year }),
            )
            .await;
            for figure in answer["keyFigures"]["figures"].as_array().unwrap() {
                let cell = cell(
                    figure["ownerValue"]["indicator"]["code"].as_str().unwrap(),
                    "all",
                );
                known.aggregate(
                    world,
                    &cell,
                    world.members(&cell, Some(key)),
                    &figure["ownerValue"],
                );
                known.aggregate(
                    world,
                    &cell,
                    world.members(&cell, None),
                    &figure["nationValue"],
                );
            }
            // colourTable: the owner's units, its reference row and the nation's, every group.
            for (group, group_code) in GROUPS {
                let answer = data(
                    app,
                    token,
                    "query($o: String!, $i: [String!]!, $y: Int!, $g: GroupInput) {
                        colourTable(rows: {owner: {code: $o}}, schoolYear: $y, indicators: $i,
                                    group: $g) {
                            rows { unit { orgNumber } cells { indicator { code } value n } }
                            ownerRow { cells { indicator { code } value n } }
                            nationRow { cells { indicator { code } value n } } } }",
                    json!({ "o": code, "i": indicators, "y": year, "g": group_input(group) }),
                )
                .await;
                let table = &answer["colourTable"];
                for row in table["rows"].as_array().unwrap() {
                    let unit = world.unit_index(row["unit"]["orgNumber"].as_str().unwrap());
                    for answer in row["cells"].as_array().unwrap() {
                        let cell = cell(answer["indicator"]["code"].as_str().unwrap(), group_code);
                        known.unit(world, &cell, unit, answer);
                    }
                }
                for (row, owner) in [("ownerRow", Some(key.as_str())), ("nationRow", None)] {
                    for answer in table[row]["cells"].as_array().unwrap() {
                        let cell = cell(answer["indicator"]["code"].as_str().unwrap(), group_code);
                        known.aggregate(world, &cell, world.members(&cell, owner), answer);
                    }
                }
            }
        }
        // artsSchoolAggregation: every owner row and the nation.
        let answer = data(
            app,
            token,
            "query($i: [String!]!, $y: Int!) { artsSchoolAggregation(schoolYear: $y, indicators: $i) {
                owners { owner { name } aggregates { indicator { code } value n } }
                nation { aggregates { indicator { code } value n } } } }",
            json!({ "i": indicators, "y": year }),
        )
        .await;
        let aggregation = &answer["artsSchoolAggregation"];
        for row in aggregation["owners"].as_array().unwrap() {
            let owner = world.owner_by_name(row["owner"]["name"].as_str().unwrap());
            for answer in row["aggregates"].as_array().unwrap() {
                let cell = cell(answer["indicator"]["code"].as_str().unwrap(), "all");
                known.aggregate(world, &cell, world.members(&cell, Some(&owner)), answer);
            }
        }
        for answer in aggregation["nation"]["aggregates"].as_array().unwrap() {
            let cell = cell(answer["indicator"]["code"].as_str().unwrap(), "all");
            known.aggregate(world, &cell, world.members(&cell, None), answer);
        }
    }
    // trend: every owner and every arts school, every indicator and group, over every year.
    let subjects: Vec<(Option<usize>, String, Value)> = world
        .owners
        .iter()
        .map(|(key, (_, code))| (None, key.clone(), json!({ "owner": { "code": code } })))
        .chain(
            world
                .units
                .iter()
                .enumerate()
                .map(|(index, (org, owner, _, _))| {
                    (
                        Some(index),
                        owner.clone(),
                        json!({ "unit": { "orgNumber": org } }),
                    )
                }),
        )
        .collect();
    for indicator in &indicators {
        for (unit, owner, subject) in &subjects {
            for (group, code) in GROUPS {
                let answer = data(
                    app,
                    token,
                    "query($i: String!, $s: TrendSubjectRef!, $g: GroupInput) {
                        trend(indicator: {code: $i}, subject: $s, group: $g) {
                            points { schoolYear { year } value n change ownerValue nationValue } } }",
                    json!({ "i": indicator, "s": subject, "g": group_input(group) }),
                )
                .await;
                let points = answer["trend"]["points"].as_array().unwrap();
                let mut previous: Option<(i64, bool)> = None;
                for point in points {
                    let year =
                        i32::try_from(point["schoolYear"]["year"].as_i64().unwrap()).unwrap();
                    let cell = ((*indicator).clone(), year, code.to_owned());
                    match unit {
                        Some(unit) => known.unit(world, &cell, *unit, point),
                        None => {
                            known.aggregate(world, &cell, world.members(&cell, Some(owner)), point)
                        }
                    }
                    let value_only = |value: &Value| json!({ "value": value.clone() });
                    known.aggregate(
                        world,
                        &cell,
                        world.members(&cell, Some(owner)),
                        &value_only(&point["ownerValue"]),
                    );
                    known.aggregate(
                        world,
                        &cell,
                        world.members(&cell, None),
                        &value_only(&point["nationValue"]),
                    );
                    let shown = !point["value"].is_null();
                    if !point["change"].is_null() {
                        let before = previous.filter(|(before, _)| *before == i64::from(year) - 1);
                        if !shown || before.is_none_or(|(_, shown)| !shown) {
                            known
                                .change_leaks
                                .push(format!("change of {subject} {indicator} {code} {year}"));
                        }
                    }
                    previous = Some((i64::from(year), shown));
                }
            }
        }
    }
    known.every_unit_hidden_unless_shown(world);
    known
}

async fn no_hidden_survey_cell_follows_from_the_analysis_answers(backend: Backend) {
    // Hundreds of questions: the rate limit is not what this test is about.
    let config = HttpConfig {
        rate_per_second: 0,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(backend, config).await;
    let world = World::load(&app).await;
    let mut per_owner_count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, owner, _, _) in &world.units {
        *per_owner_count.entry(owner.as_str()).or_default() += 1;
    }
    let sizes: BTreeSet<usize> = per_owner_count.values().copied().collect();
    assert!(
        [1, 2, 3].iter().all(|size| sizes.contains(size)),
        "the demo data has kommuner with one, two and three kulturskoler: {per_owner_count:?}"
    );
    let mut report = Vec::new();
    for caller in [NATIONAL_READER, OTHER_OWNER_READER] {
        let token = app.token_for(caller).await;
        let known = collect(&app, &world, &token).await;
        let shown: usize = known.shown.values().map(Vec::len).sum();
        let (tried, determined) = known.solve(&world);
        report.push(format!(
            "{caller}: {} answers, {shown} equations shown, {tried} hidden cells tried, {} determined",
            known.answers,
            determined.len()
        ));
        assert!(tried > 0, "{caller}: no hidden cell to try");
        assert!(
            determined.is_empty(),
            "{caller}: {} answers; of {tried} hidden cells tried, {} are determined: {determined:#?}",
            known.answers,
            determined.len()
        );
    }
    // Shown with --nocapture; the counts are the test's result.
    println!("disclosure: {}", report.join("; "));
    app.stop().await.unwrap();
}

/// The most assessed units of one criterion and year the distribution test allows: it tries every
/// assignment of levels to them (4^n).
const MAX_ASSESSED: usize = 9;

/// The distributions one caller was shown for one criterion and year: the members (indices into
/// the assessed units) and their counts per level; and the members of each owner it was not shown.
struct Distributions {
    shown: Vec<(Vec<usize>, [i64; 4])>,
    hidden_owners: Vec<(String, Vec<usize>)>,
}

/// Every level distribution `token` gets for one criterion and year: each owner with assessed
/// units, and the nation, in one request.
async fn distributions(
    app: &TestApp,
    token: &str,
    (framework, criterion, year): &(String, String, i64),
    units: &[SeededAssessment],
    code_of: &HashMap<String, String>,
) -> Distributions {
    let owners: BTreeSet<&str> = units.iter().map(|(_, owner, _)| owner.as_str()).collect();
    let subjects: Vec<Option<&str>> = owners.iter().copied().map(Some).chain([None]).collect();
    let fields: String = subjects
        .iter()
        .enumerate()
        .map(|(index, subject)| {
            let subject = match subject {
                Some(owner) => format!("{{owner: {{code: \"{}\"}}}}", code_of[*owner]),
                None => "{nation: true}".to_owned(),
            };
            format!(
                "s{index}: levelDistribution(framework: {{code: \"{framework}\"}}, \
                 criterion: \"{criterion}\", subject: {subject}, schoolYears: [{year}]) {{
                    assessedUnits counts {{ count }} }} "
            )
        })
        .collect();
    let answer = data(app, token, &format!("{{ {fields} }}"), json!({})).await;
    let mut found = Distributions {
        shown: Vec::new(),
        hidden_owners: Vec::new(),
    };
    for (index, subject) in subjects.iter().enumerate() {
        let members: Vec<usize> = (0..units.len())
            .filter(|&unit| subject.is_none_or(|owner| units[unit].1 == owner))
            .collect();
        let point = &answer[format!("s{index}")][0];
        match point["counts"].as_array() {
            Some(counts) => {
                assert_eq!(point["assessedUnits"], members.len(), "{point}");
                let counts: Vec<i64> = counts
                    .iter()
                    .map(|c| c["count"].as_i64().unwrap())
                    .collect();
                found.shown.push((members, counts.try_into().unwrap()));
            }
            None => {
                if let Some(owner) = subject {
                    found.hidden_owners.push(((*owner).to_owned(), members));
                }
            }
        }
    }
    found
}

/// Every assignment of levels 1-4 to `units` (those in `fixed` keep theirs) that agrees with every
/// distribution shown: calls `consistent` with each.
fn each_consistent_assignment(
    fixed: &[Option<i64>],
    shown: &[(Vec<usize>, [i64; 4])],
    consistent: &mut impl FnMut(&[i64]),
) {
    fn walk(
        fixed: &[Option<i64>],
        shown: &[(Vec<usize>, [i64; 4])],
        levels: &mut Vec<i64>,
        consistent: &mut impl FnMut(&[i64]),
    ) {
        if levels.len() == fixed.len() {
            let agrees = shown.iter().all(|(members, counts)| {
                let mut seen = [0; 4];
                for &member in members {
                    seen[usize::try_from(levels[member] - 1).unwrap()] += 1;
                }
                seen == *counts
            });
            if agrees {
                consistent(levels);
            }
            return;
        }
        let choices = match fixed[levels.len()] {
            Some(level) => level..=level,
            None => 1..=4,
        };
        for level in choices {
            levels.push(level);
            walk(fixed, shown, levels, consistent);
            levels.pop();
        }
    }
    walk(fixed, shown, &mut Vec::new(), consistent);
}

/// Self-assessment levels are restricted unit data too (issue 10): as a national reader and as the
/// owner reader of another kommune, collect every level distribution of every seeded criterion and
/// year (every owner with assessed units, and the nation), then try every assignment of levels to
/// the units the caller may not read that agrees with what it was shown (the attacker knows which
/// units were assessed). A hidden unit's level, or a hidden owner's counts, is disclosed when every
/// such assignment agrees on it: by subtraction, or because all units of a distribution or of the
/// nation minus the owners shown are on one level.
async fn no_hidden_assessment_level_follows_from_the_level_distributions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let code_of: HashMap<String, String> = seed_rows("owner_codes.csv")
        .into_iter()
        .filter(|row| row["valid_to"].is_empty())
        .map(|row| (row["owner_key"].clone(), row["code"].clone()))
        .collect();
    let readable_owner: HashMap<String, String> = seed_rows("role_assignments.csv")
        .into_iter()
        .filter(|row| row["role"].starts_with("owner_"))
        .map(|row| (row["feide_user_id"].clone(), row["owner_key"].clone()))
        .collect();
    let systems = seeded_assessments();
    let mut report = Vec::new();
    for caller in [NATIONAL_READER, OTHER_OWNER_READER] {
        let token = app.token_for(caller).await;
        let (mut tried, mut shown_count, mut determined) = (0, 0, Vec::new());
        for (system, units) in &systems {
            assert!(
                units.len() <= MAX_ASSESSED,
                "{system:?} has too many units to try"
            );
            let found = distributions(&app, &token, system, units, &code_of).await;
            shown_count += found.shown.len();
            let fixed: Vec<Option<i64>> = units
                .iter()
                .map(|(_, owner, level)| {
                    (readable_owner.get(caller) == Some(owner)).then_some(*level)
                })
                .collect();
            let mut unit_levels = vec![BTreeSet::new(); units.len()];
            let mut owner_counts = vec![BTreeSet::new(); found.hidden_owners.len()];
            let mut truth_agrees = false;
            each_consistent_assignment(&fixed, &found.shown, &mut |levels| {
                truth_agrees |= levels
                    .iter()
                    .zip(units)
                    .all(|(level, unit)| *level == unit.2);
                for (seen, level) in unit_levels.iter_mut().zip(levels) {
                    seen.insert(*level);
                }
                for (seen, (_, members)) in owner_counts.iter_mut().zip(&found.hidden_owners) {
                    let mut counts = [0; 4];
                    for &member in members {
                        counts[usize::try_from(levels[member] - 1).unwrap()] += 1;
                    }
                    seen.insert(counts);
                }
            });
            assert!(
                truth_agrees,
                "{caller}: {system:?}: the answers agree with the seeds"
            );
            for ((org, _, _), seen) in units.iter().zip(&unit_levels) {
                if fixed
                    .iter()
                    .zip(units)
                    .any(|(fixed, unit)| fixed.is_some() && unit.0 == *org)
                {
                    continue;
                }
                tried += 1;
                if seen.len() == 1 {
                    determined.push(format!("{system:?}: the level of {org}"));
                }
            }
            for ((owner, _), seen) in found.hidden_owners.iter().zip(&owner_counts) {
                tried += 1;
                if seen.len() == 1 {
                    determined.push(format!("{system:?}: the counts of {owner}"));
                }
            }
        }
        report.push(format!(
            "{caller}: {shown_count} distributions shown, {tried} hidden levels and owners tried, {} determined",
            determined.len()
        ));
        assert!(tried > 0, "{caller}: nothing hidden to try");
        assert!(determined.is_empty(), "{caller}: {determined:#?}");
    }
    // Shown with --nocapture; the counts are the test's result.
    println!("distribution disclosure: {}", report.join("; "));
    app.stop().await.unwrap();
}

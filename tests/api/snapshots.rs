//! The analysis queries' answers on the demo data, as reviewed snapshots
//! (`tests/api/snapshots/`). Both databases must give the same answer, so both compare with one
//! snapshot. After an intended change: `INSTA_UPDATE=always bash tests/run.sh -E 'test(snapshots)'`,
//! then review the diff of the `.snap` files before committing them.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(the_analysis_queries_answer_as_reviewed);

/// Each analysis query, named, with the seeded user it runs as (`None`: anonymous).
const ANALYSES: [(&str, Option<&str>, &str); 7] = [
    (
        "colour_table_kongsberg_schools",
        None,
        "{ colourTable(rows: {owner: {code: \"3303\"}}, schoolYear: 2024,
            indicators: [\"eu_trivsel\", \"eu_mobbing\", \"np_lesing_5\", \"grunnskolepoeng\"]) {
            schoolYear { label } group
            rows { unit { orgNumber name } cells { indicator { code } value n suppressed suppressionReason colour } }
            ownerRow { label cells { indicator { code } value n suppressed suppressionReason colour } }
            nationRow { label cells { indicator { code } value n suppressed suppressionReason colour } } } }",
    ),
    (
        "colour_table_girls",
        None,
        "{ colourTable(rows: {owner: {code: \"3205\"}}, schoolYear: 2024, indicators: [\"eu_trivsel\"],
            group: {gender: GIRLS}) {
            group rows { unit { name } cells { value n suppressionReason colour } }
            nationRow { cells { value n colour } } } }",
    ),
    (
        "trend_of_a_school",
        None,
        "{ trend(indicator: {code: \"eu_trivsel\"}, subject: {unit: {orgNumber: \"870283822\"}}) {
            indicator { code } unit { name } owner { name } group
            points { schoolYear { label } value n suppressed suppressionReason change ownerValue nationValue } } }",
    ),
    (
        "key_figures_kongsberg",
        None,
        "{ keyFigures(owner: {code: \"3303\"}, schoolYear: 2024,
            indicators: [\"eu_trivsel\", \"grunnskolepoeng\", \"ke_trivsel\"]) {
            owner { name } schoolYear { label }
            figures { indicator { code }
              ownerValue { value n suppressed suppressionReason computed members membersCounted }
              nationValue { value n suppressed suppressionReason computed members membersCounted } } } }",
    ),
    (
        "aggregate_of_the_nation_for_a_national_reader",
        Some("analytiker@kulturskoleradet.no"),
        "{ aggregate(subject: {nation: true}, schoolYear: 2024,
            indicators: [\"ke_trivsel\", \"kf_tilfredshet\", \"gsi_elever\"]) {
            indicator { code } schoolYear { label } value n suppressed suppressionReason computed
            members membersCounted membersSuppressed membersMissing } }",
    ),
    (
        "arts_school_aggregation_for_a_national_reader",
        Some("analytiker@kulturskoleradet.no"),
        "{ artsSchoolAggregation(schoolYear: 2024, indicators: [\"ke_trivsel\", \"kf_tilfredshet\", \"gsi_elever\"]) {
            schoolYear { label }
            owners { owner { name code } artsSchools aggregates { indicator { code } value n suppressed
              suppressionReason computed members membersCounted membersSuppressed membersMissing } }
            nation { artsSchools aggregates { indicator { code } value n suppressed suppressionReason
              computed members membersCounted membersSuppressed membersMissing } } } }",
    ),
    (
        "arts_school_aggregation_for_anyone",
        None,
        "{ artsSchoolAggregation(schoolYear: 2024, indicators: [\"ke_trivsel\", \"gsi_elever\"]) {
            owners { owner { name } aggregates { value n suppressionReason computed } }
            nation { aggregates { value n suppressionReason computed } } } }",
    ),
];

async fn the_analysis_queries_answer_as_reviewed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (name, user, query) in ANALYSES {
        let token = match user {
            Some(user) => Some(app.token_for(user).await),
            None => None,
        };
        let body = app.query_as(token.as_deref(), query, json!({})).await;
        assert!(body.get("errors").is_none(), "{name}: {body:#}");
        insta::assert_json_snapshot!(name, body["data"]);
    }
}

//! Kvalitetsbeskrivelser and egenvurdering (issue 10): versioned frameworks, assessments with
//! history and optimistic concurrency, staff votes, level distributions through the disclosure
//! rules, and who may read and write what.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, as_user, error_codes, readme_heredoc_example, seeded_assessments,
};

crate::on_both_databases!(
    the_seeded_frameworks_hold_the_seed_texts,
    distributions_match_counts_computed_from_the_seeds,
    an_edit_makes_a_new_version_and_old_assessments_keep_their_text,
    concurrent_writes_of_one_revision_get_one_conflict_and_lose_nothing,
    every_mutation_refuses_a_caller_without_the_role_and_writes_nothing,
    bad_input_gives_a_clear_error_and_writes_nothing,
    assessments_are_read_by_the_units_and_owners_roles_only,
    votes_show_counts_and_only_the_names_their_voters_show,
    drafts_are_seen_by_their_editors_until_published,
    a_retired_framework_keeps_its_assessments_and_takes_no_new_ones,
    the_readme_assessment_example_answers_as_shown,
);

const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
const DRAMMEN_ARTS_SCHOOL: &str = "903208074";
const UNIT_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";
const UNIT_STAFF: &str = "laerer.kulturskole@drammen.kommune.no";
const OWNER_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const OWNER_READER: &str = "analytiker@drammen.kommune.no";
const NATIONAL_READER: &str = "analytiker@kulturskoleradet.no";
const NATIONAL_ADMIN: &str = "admin@varde.example";

const ASSESS: &str = "mutation($unit: String!, $criterion: String!, $year: Int!, $level: Int!,
        $expected: Int!, $strengths: String! = \"\", $framework: String! = \"kulturskole\") {
    assessCriterion(input: {assessment: {unit: {orgNumber: $unit}, framework: {code: $framework},
        criterion: $criterion, schoolYear: $year}, expectedRevision: $expected, level: $level,
        strengths: $strengths}) {
        revision current { level frameworkVersion { version } } } }";

const VOTE: &str = "mutation($unit: String!, $level: Int!, $show: Boolean!) {
    voteOnCriterion(input: {assessment: {unit: {orgNumber: $unit}, framework: {code: \"kulturskole\"},
        criterion: \"2.2\", schoolYear: 2025}, level: $level, showName: $show}) {
        revision votes { counts { level count } shown { voter level } mine } } }";

/// An assessment of one unit as its own roles see it.
const ASSESSMENT: &str = "query($unit: String!, $criterion: String!, $year: Int!) {
    unit(by: {orgNumber: $unit}) { assessments(filter: {framework: {code: \"kulturskole\"},
        criterion: $criterion, schoolYear: $year}) { edges { node {
        revision
        current { level strengths frameworkVersion { version } criterionText { levels { statements } } }
        history { edges { node { revision level } } }
        votes { counts { count } shown { voter } mine } } } } } }";

const FRAMEWORK: &str = "query($code: String!) { qualityFramework(by: {code: $code}) {
    code status version current { name areas { number name criteria { number name
        levels { level statements } indicators { code } } } levelDefinitions reflectionQuestions } } }";

/// The one assessment the filter names, as the Kongsberg kulturskole's leader sees it.
async fn kongsberg_assessment(app: &TestApp, criterion: &str, year: i32) -> Value {
    let body = as_user(
        app,
        Some(UNIT_LEADER),
        ASSESSMENT,
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": criterion, "year": year }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["unit"]["assessments"]["edges"][0]["node"].clone()
}

async fn the_seeded_frameworks_hold_the_seed_texts(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let arts = app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await;
    let schools = app
        .query(FRAMEWORK, json!({ "code": "lillestrom-skole" }))
        .await;

    let arts = &arts["qualityFramework"];
    assert_eq!(arts["status"], "PUBLISHED");
    let areas = arts["current"]["areas"].as_array().unwrap();
    let names: Vec<&str> = areas.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Kulturskolens virksomhetskvalitet",
            "Kulturskolens undervisnings- og læringskvalitet",
            "Kvalitet i rammefaktorer",
            "Resultatkvalitet"
        ]
    );
    let criteria: Vec<&str> = areas
        .iter()
        .flat_map(|a| a["criteria"].as_array().unwrap())
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(criteria, ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2"]);
    let relations = &areas[1]["criteria"][0];
    assert_eq!(relations["name"], "Lærende relasjoner");
    assert_eq!(
        relations["levels"][0]["statements"][0],
        "Undervisningen på kulturskolen fokuserer på at alle er velkomne og aksepterte i timene."
    );
    assert_eq!(relations["indicators"][1]["code"], "ke_trivsel");
    assert_eq!(
        arts["current"]["reflectionQuestions"][1],
        "Hva kan vi gjøre for å stabilisere oss på et høyere nivå?"
    );
    assert_eq!(
        arts["current"]["levelDefinitions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let school_areas: Vec<&str> = schools["qualityFramework"]["current"]["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        school_areas,
        ["Læringsmiljø", "Regning", "Språk, lesing og skriving"]
    );
}

/// The distribution query for an owner (by code) or the nation, over the seeded years.
fn distribution_query(subject: &str) -> String {
    format!(
        "{{ levelDistribution(framework: {{code: \"kulturskole\"}}, criterion: \"2.1\",
            subject: {subject}, schoolYears: [2023, 2024, 2025]) {{
            schoolYear {{ year }} assessedUnits counts {{ level count }} suppressionReason }} }}"
    )
}

/// Per school year, the counts of units per level (Nivå 1 first) of criterion 2.1 in the seeds:
/// the last revision of each assessment, grouped by the unit's owner key (`None`: the nation).
fn seeded_counts() -> BTreeMap<(Option<String>, i64), [i64; 4]> {
    let mut counts: BTreeMap<(Option<String>, i64), [i64; 4]> = BTreeMap::new();
    for ((framework, criterion, year), units) in seeded_assessments() {
        if framework != "kulturskole" || criterion != "2.1" {
            continue;
        }
        for (_, owner, level) in units {
            let index = usize::try_from(level - 1).unwrap();
            counts.entry((None, year)).or_default()[index] += 1;
            counts.entry((Some(owner), year)).or_default()[index] += 1;
        }
    }
    counts
}

/// The answer a distribution should have for `counts`, or withheld with `reason`.
fn expected_point(year: i64, counts: Option<[i64; 4]>, reason: Option<&str>) -> Value {
    json!({
        "schoolYear": { "year": year },
        "assessedUnits": counts.map(|c| c.iter().sum::<i64>()),
        "counts": counts.map(|c| (1..=4).zip(c).map(|(level, count)| json!({ "level": level, "count": count })).collect::<Vec<_>>()),
        "suppressionReason": reason,
    })
}

async fn distributions_match_counts_computed_from_the_seeds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let counts = seeded_counts();
    let years = [2023, 2024, 2025];
    let seeded =
        |owner: Option<&str>, year: i64| counts.get(&(owner.map(str::to_owned), year)).copied();
    // By hand from seeds/quality/assessments.csv: Lillestrøm has three assessed kulturskoler each
    // year; in 2023 the only other one is Kongsberg's, which alone would follow from the nation
    // minus Lillestrøm, so Lillestrøm is hidden too (COMPLEMENTARY). Every other owner has one or
    // two (TOO_FEW_MEMBERS for a national reader).
    assert_eq!(seeded(None, 2023), Some([1, 2, 1, 0]));
    assert_eq!(seeded(None, 2024), Some([1, 3, 3, 1]));
    assert_eq!(seeded(Some("lillestrom"), 2024), Some([0, 1, 2, 0]));
    assert_eq!(seeded(Some("drammen"), 2024), Some([0, 1, 1, 0]));

    let nation = as_user(
        &app,
        Some(NATIONAL_READER),
        &distribution_query("{nation: true}"),
        json!({}),
    )
    .await;
    let lillestrom = as_user(
        &app,
        Some(NATIONAL_READER),
        &distribution_query("{owner: {code: \"3205\"}}"),
        json!({}),
    )
    .await;
    let drammen = as_user(
        &app,
        Some(NATIONAL_READER),
        &distribution_query("{owner: {code: \"3301\"}}"),
        json!({}),
    )
    .await;
    let drammen_own = as_user(
        &app,
        Some(OWNER_READER),
        &distribution_query("{owner: {code: \"3301\"}}"),
        json!({}),
    )
    .await;
    let nation_for_owner = as_user(
        &app,
        Some(OWNER_READER),
        &distribution_query("{nation: true}"),
        json!({}),
    )
    .await;
    let anonymous = as_user(
        &app,
        None,
        &distribution_query("{owner: {code: \"3301\"}}"),
        json!({}),
    )
    .await;

    let points = |body: &Value| body["data"]["levelDistribution"].clone();
    assert_eq!(
        points(&nation),
        json!(years.map(|year| expected_point(year, seeded(None, year), None)))
    );
    assert_eq!(
        points(&lillestrom),
        json!([
            expected_point(2023, None, Some("COMPLEMENTARY")),
            expected_point(2024, seeded(Some("lillestrom"), 2024), None),
            expected_point(2025, seeded(Some("lillestrom"), 2025), None),
        ])
    );
    assert_eq!(
        points(&drammen),
        json!([
            expected_point(2023, Some([0, 0, 0, 0]), None),
            expected_point(2024, None, Some("TOO_FEW_MEMBERS")),
            expected_point(2025, None, Some("TOO_FEW_MEMBERS")),
        ]),
        "an owner without assessments shows none; one or two kulturskoler are too few"
    );
    assert_eq!(
        points(&drammen_own),
        json!(years.map(|year| expected_point(
            year,
            Some(seeded(Some("drammen"), year).unwrap_or_default()),
            None
        ))),
        "the owner's own roles read its distribution whatever its size"
    );
    assert_eq!(
        points(&nation_for_owner),
        json!(years.map(|year| expected_point(year, None, Some("NOT_PERMITTED"))))
    );
    assert_eq!(
        points(&anonymous),
        json!(years.map(|year| expected_point(year, None, Some("NOT_PERMITTED"))))
    );
}

async fn an_edit_makes_a_new_version_and_old_assessments_keep_their_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = kongsberg_assessment(&app, "2.1", 2024).await;
    let framework = app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await;
    let mut content = framework["qualityFramework"]["current"].clone();
    // The texts in the form the edit takes them.
    content
        .as_object_mut()
        .unwrap()
        .insert("description".into(), json!("Revidert."));
    content
        .as_object_mut()
        .unwrap()
        .insert("unitKinds".into(), json!(["ARTS_SCHOOL"]));
    let added = "Elevene viser fram arbeidet sitt for hverandre.";
    for area in content["areas"].as_array_mut().unwrap() {
        for criterion in area["criteria"].as_array_mut().unwrap() {
            let levels: Vec<Value> = criterion["levels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|level| level["statements"].clone())
                .collect();
            criterion["levels"] = json!(levels);
            let codes: Vec<Value> = criterion["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|indicator| indicator["code"].clone())
                .collect();
            criterion["indicators"] = json!(codes);
            if criterion["number"] == "2.1" {
                criterion["levels"][3]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(added));
            }
        }
    }
    const EDIT: &str = "mutation($content: QualityFrameworkContentInput!, $expected: Int!) {
        editQualityFramework(input: {framework: {code: \"kulturskole\"}, expectedVersion: $expected,
            content: $content}) { version
            differences(from: 1, to: 2) { criterion change parts }
            versionTexts(version: 1) { criterion(number: \"2.1\") { levels { statements } } } } }";

    let edited = as_user(
        &app,
        Some(NATIONAL_ADMIN),
        EDIT,
        json!({ "content": content, "expected": 1 }),
    )
    .await;
    let stale = as_user(
        &app,
        Some(NATIONAL_ADMIN),
        EDIT,
        json!({ "content": content, "expected": 1 }),
    )
    .await;
    let after = kongsberg_assessment(&app, "2.1", 2024).await;
    let reassessed = as_user(
        &app,
        Some(UNIT_LEADER),
        ASSESS,
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": "2.1", "year": 2024, "level": 3, "expected": 1 }),
    )
    .await;

    let edited = &edited["data"]["editQualityFramework"];
    assert_eq!(edited["version"], 2);
    assert_eq!(
        edited["differences"],
        json!([
            { "criterion": null, "change": "CHANGED", "parts": ["description"] },
            { "criterion": "2.1", "change": "CHANGED", "parts": ["levels"] }
        ])
    );
    assert!(!edited["versionTexts"].to_string().contains(added));
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    assert_eq!(before, after, "the old assessment is untouched");
    assert_eq!(after["current"]["frameworkVersion"]["version"], 1);
    assert!(
        !after["current"]["criterionText"]
            .to_string()
            .contains(added)
    );
    let reassessed = &reassessed["data"]["assessCriterion"];
    assert_eq!(reassessed["revision"], 2);
    assert_eq!(reassessed["current"]["frameworkVersion"]["version"], 2);
    let history = kongsberg_assessment(&app, "2.1", 2024).await;
    assert_eq!(
        history["history"]["edges"],
        json!([{ "node": { "revision": 1, "level": 2 } }, { "node": { "revision": 2, "level": 3 } }])
    );
    let pages = "query($after: String) { unit(by: {orgNumber: \"879819334\"}) { assessments(filter:
        {criterion: \"2.1\", schoolYear: 2024}) { edges { node { history(first: 1, after: $after) {
        edges { node { revision } } pageInfo { hasNextPage endCursor } } } } } } }";
    let page =
        |body: &Value| body["data"]["unit"]["assessments"]["edges"][0]["node"]["history"].clone();
    let first = page(&as_user(&app, Some(UNIT_LEADER), pages, json!({})).await);
    let second = page(
        &as_user(
            &app,
            Some(UNIT_LEADER),
            pages,
            json!({ "after": first["pageInfo"]["endCursor"] }),
        )
        .await,
    );
    assert_eq!(first["edges"], json!([{ "node": { "revision": 1 } }]));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["edges"], json!([{ "node": { "revision": 2 } }]));
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
}

async fn concurrent_writes_of_one_revision_get_one_conflict_and_lose_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(UNIT_LEADER).await;
    let write = |level: i64| {
        app.query_as(
            Some(&token),
            ASSESS,
            json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": "2.1", "year": 2025,
                    "level": level, "expected": 1, "strengths": format!("nivå {level}") }),
        )
    };

    let (first, second) = tokio::join!(write(3), write(4));

    let outcomes = [&first, &second].map(error_codes);
    let succeeded: Vec<&Value> = [&first, &second]
        .into_iter()
        .filter(|body| body.get("errors").is_none())
        .collect();
    assert_eq!(succeeded.len(), 1, "exactly one write wins: {outcomes:?}");
    assert!(
        outcomes.contains(&vec!["CONFLICT".to_owned()]),
        "the other is told: {outcomes:?}"
    );
    let winner = succeeded[0]["data"]["assessCriterion"]["current"]["level"].clone();
    let stored = kongsberg_assessment(&app, "2.1", 2025).await;
    assert_eq!(stored["revision"], 2);
    assert_eq!(stored["current"]["level"], winner);
    assert_eq!(
        stored["history"]["edges"].as_array().unwrap().len(),
        2,
        "the seeded revision and the winner's, nothing else"
    );
}

async fn every_mutation_refuses_a_caller_without_the_role_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = (
        app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await,
        kongsberg_assessment(&app, "2.1", 2025).await,
    );
    let content = json!({ "name": "Ny", "description": "", "unitKinds": ["ARTS_SCHOOL"],
        "levelDefinitions": ["1", "2", "3", "4"], "reflectionQuestions": [], "areas": [] });
    let create = "mutation($content: QualityFrameworkContentInput!) { createQualityFramework(input:
        {code: \"nasjonal-ny\", content: $content}) { code } }";
    let edit = "mutation($content: QualityFrameworkContentInput!) { editQualityFramework(input:
        {framework: {code: \"kulturskole\"}, expectedVersion: 1, content: $content}) { version } }";
    let publish =
        "mutation { publishQualityFramework(framework: {code: \"kulturskole\"}) { status } }";
    let retire =
        "mutation { retireQualityFramework(framework: {code: \"kulturskole\"}) { status } }";
    let assess = |unit: &str| json!({ "unit": unit, "criterion": "2.1", "year": 2025, "level": 4, "expected": 1 });
    let cases: Vec<(Option<&str>, &str, Value, &str)> = vec![
        (
            None,
            create,
            json!({ "content": content }),
            "UNAUTHENTICATED",
        ),
        (
            Some(OWNER_ADMIN),
            create,
            json!({ "content": content }),
            "FORBIDDEN",
        ),
        (
            Some(NATIONAL_READER),
            edit,
            json!({ "content": content }),
            "FORBIDDEN",
        ),
        (
            Some(OWNER_ADMIN),
            edit,
            json!({ "content": content }),
            "FORBIDDEN",
        ),
        (Some(OWNER_ADMIN), publish, json!({}), "FORBIDDEN"),
        (Some(UNIT_LEADER), retire, json!({}), "FORBIDDEN"),
        (None, retire, json!({}), "UNAUTHENTICATED"),
        (
            None,
            ASSESS,
            assess(KONGSBERG_ARTS_SCHOOL),
            "UNAUTHENTICATED",
        ),
        (
            Some(OWNER_ADMIN),
            ASSESS,
            assess(KONGSBERG_ARTS_SCHOOL),
            "FORBIDDEN",
        ),
        (
            Some(NATIONAL_ADMIN),
            ASSESS,
            assess(KONGSBERG_ARTS_SCHOOL),
            "FORBIDDEN",
        ),
        (
            Some(UNIT_STAFF),
            ASSESS,
            assess(DRAMMEN_ARTS_SCHOOL),
            "FORBIDDEN",
        ),
        (
            Some(UNIT_LEADER),
            ASSESS,
            assess(DRAMMEN_ARTS_SCHOOL),
            "FORBIDDEN",
        ),
        (
            None,
            VOTE,
            json!({ "unit": KONGSBERG_ARTS_SCHOOL, "level": 2, "show": false }),
            "UNAUTHENTICATED",
        ),
        (
            Some(UNIT_STAFF),
            VOTE,
            json!({ "unit": KONGSBERG_ARTS_SCHOOL, "level": 2, "show": false }),
            "FORBIDDEN",
        ),
        (
            Some(NATIONAL_READER),
            VOTE,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL, "level": 2, "show": false }),
            "FORBIDDEN",
        ),
        (
            Some(OWNER_READER),
            VOTE,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL, "level": 2, "show": false }),
            "FORBIDDEN",
        ),
    ];

    for (user, mutation, variables, code) in &cases {
        let body = as_user(&app, *user, mutation, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            [*code],
            "{user:?}: {mutation}\n{body:#}"
        );
    }

    let after = (
        app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await,
        kongsberg_assessment(&app, "2.1", 2025).await,
    );
    assert_eq!(before, after, "nothing was written");
    let created = app.query(FRAMEWORK, json!({ "code": "nasjonal-ny" })).await;
    assert_eq!(created["qualityFramework"], Value::Null);
    let drammen_votes = as_user(&app, Some(UNIT_STAFF), VOTE_COUNTS, json!({})).await;
    assert_eq!(
        drammen_votes["data"]["unit"]["assessments"]["edges"][0]["node"]["votes"]["counts"],
        json!([{ "count": 0 }, { "count": 1 }, { "count": 1 }, { "count": 0 }])
    );
}

/// The votes on the Drammen kulturskole's seeded 2.2 assessment for 2025.
const VOTE_COUNTS: &str = "{ unit(by: {orgNumber: \"903208074\"}) { assessments(filter:
    {criterion: \"2.2\", schoolYear: 2025}) { edges { node { revision
    votes { counts { count } shown { voter level } mine } } } } } }";

async fn bad_input_gives_a_clear_error_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = kongsberg_assessment(&app, "2.1", 2025).await;
    let assess = |criterion: &str, year: i64, level: i64, strengths: String| {
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": criterion, "year": year,
                "level": level, "expected": 1, "strengths": strengths })
    };
    let too_long = "å".repeat(4001);
    let cases = [
        (
            assess("2.1", 2025, 5, String::new()),
            "level 5 must be 1, 2, 3 or 4",
        ),
        (assess("2.1", 2025, 0, String::new()), "level 0"),
        (
            assess("9.9", 2025, 3, String::new()),
            "\"9.9\" is not in this framework",
        ),
        (
            assess("2.1", 2200, 3, String::new()),
            "school year \"2200\"",
        ),
        (
            assess("2.1", 2025, 3, too_long),
            "strengths has 4001 characters",
        ),
    ];
    for (variables, message) in cases {
        let body = as_user(&app, Some(UNIT_LEADER), ASSESS, variables).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
        let text = body["errors"][0]["message"].as_str().unwrap();
        assert!(text.contains(message), "{text:?} names {message:?}");
    }
    let other_owners = as_user(
        &app,
        Some(UNIT_LEADER),
        ASSESS,
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": "1.1", "year": 2025, "level": 3,
                "expected": 1, "framework": "lillestrom-skole" }),
    )
    .await;
    assert_eq!(error_codes(&other_owners), ["BAD_USER_INPUT"]);
    let vote = as_user(
        &app,
        Some(UNIT_STAFF),
        VOTE,
        json!({ "unit": DRAMMEN_ARTS_SCHOOL, "level": 5, "show": true }),
    )
    .await;
    assert_eq!(error_codes(&vote), ["BAD_USER_INPUT"]);
    let three_levels = json!({ "name": "Ny", "description": "", "unitKinds": ["ARTS_SCHOOL"],
        "levelDefinitions": ["1", "2", "3", "4"], "reflectionQuestions": [],
        "areas": [{ "number": 1, "name": "Område", "criteria": [
            { "number": "1.1", "name": "K", "levels": [["a"], ["b"], ["c"]], "indicators": [] }] }] });
    let edit = as_user(
        &app,
        Some(NATIONAL_ADMIN),
        "mutation($content: QualityFrameworkContentInput!) { editQualityFramework(input:
            {framework: {code: \"kulturskole\"}, expectedVersion: 1, content: $content}) { version } }",
        json!({ "content": three_levels }),
    )
    .await;
    assert_eq!(error_codes(&edit), ["BAD_USER_INPUT"]);

    assert_eq!(kongsberg_assessment(&app, "2.1", 2025).await, before);
    let framework = app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await;
    assert_eq!(framework["qualityFramework"]["version"], 1);
    let votes = as_user(&app, Some(UNIT_STAFF), VOTE_COUNTS, json!({})).await;
    assert_eq!(
        votes["data"]["unit"]["assessments"]["edges"][0]["node"]["votes"]["mine"], 3,
        "the staff member's seeded vote is unchanged"
    );
}

async fn assessments_are_read_by_the_units_and_owners_roles_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = "query($unit: String!) { unit(by: {orgNumber: $unit}) {
        assessments { edges { node { criterion current { level } } } }
        criterionOverview(framework: {code: \"kulturskole\"}, criterion: \"2.1\") {
            assessments { edges { node { revision } } } } } }";
    let count = |body: &Value| {
        assert!(body.get("errors").is_none(), "{body:#}");
        let unit = &body["data"]["unit"];
        let listed = unit["assessments"]["edges"].as_array().unwrap().len();
        let overview = unit["criterionOverview"]["assessments"]["edges"]
            .as_array()
            .unwrap()
            .len();
        (listed, overview)
    };
    let drammen = json!({ "unit": DRAMMEN_ARTS_SCHOOL });
    let kongsberg = json!({ "unit": KONGSBERG_ARTS_SCHOOL });

    // Drammen kulturskole: 2.1 in 2024 and 2025, 1.4 in 2024, 2.2 in 2025 (votes only).
    assert_eq!(
        count(&as_user(&app, Some(UNIT_STAFF), query, drammen.clone()).await),
        (4, 2)
    );
    assert_eq!(
        count(&as_user(&app, Some(OWNER_READER), query, drammen.clone()).await),
        (4, 2)
    );
    assert_eq!(
        count(&as_user(&app, Some(UNIT_LEADER), query, kongsberg.clone()).await),
        (4, 3)
    );
    assert_eq!(
        count(&as_user(&app, Some(OWNER_ADMIN), query, kongsberg.clone()).await),
        (4, 3)
    );
    for (user, unit) in [
        (Some(NATIONAL_READER), &drammen),
        (Some(NATIONAL_ADMIN), &kongsberg),
        (None, &drammen),
        (Some(OWNER_READER), &kongsberg),
        (Some(UNIT_LEADER), &drammen),
    ] {
        assert_eq!(
            count(&as_user(&app, user, query, unit.clone()).await),
            (0, 0),
            "{user:?} reads no assessment of {unit}"
        );
    }
}

async fn votes_show_counts_and_only_the_names_their_voters_show(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let seeded = as_user(&app, Some(OWNER_READER), VOTE_COUNTS, json!({})).await;

    let changed = as_user(
        &app,
        Some(UNIT_STAFF),
        VOTE,
        json!({ "unit": DRAMMEN_ARTS_SCHOOL, "level": 4, "show": true }),
    )
    .await;

    let votes = &seeded["data"]["unit"]["assessments"]["edges"][0]["node"];
    assert_eq!(votes["revision"], 0, "voted on, nothing agreed yet");
    assert_eq!(
        votes["votes"],
        json!({ "counts": [{ "count": 0 }, { "count": 1 }, { "count": 1 }, { "count": 0 }],
                "shown": [{ "voter": "mona.strand@drammen.kommune.no", "level": 2 }],
                "mine": null })
    );
    assert_eq!(
        changed["data"]["voteOnCriterion"]["votes"],
        json!({ "counts": [{ "level": 1, "count": 0 }, { "level": 2, "count": 1 },
                           { "level": 3, "count": 0 }, { "level": 4, "count": 1 }],
                "shown": [{ "voter": UNIT_STAFF, "level": 4 },
                          { "voter": "mona.strand@drammen.kommune.no", "level": 2 }],
                "mine": 4 })
    );
}

async fn drafts_are_seen_by_their_editors_until_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let content = json!({ "name": "Kvalitet i Kongsbergskolen", "description": "Utkast.",
        "unitKinds": ["SCHOOL"], "levelDefinitions": ["1", "2", "3", "4"],
        "reflectionQuestions": ["Hvor er vi?"],
        "areas": [{ "number": 1, "name": "Læringsmiljø", "criteria": [
            { "number": "1.1", "name": "Trygt miljø", "levels": [["a"], ["b"], ["c"], ["d"]],
              "indicators": ["eu_trivsel"] }] }] });
    let create = "mutation($content: QualityFrameworkContentInput!) { createQualityFramework(input:
        {code: \"kongsberg-skole\", owner: {code: \"3303\"}, content: $content}) { status version } }";
    let find = "{ qualityFramework(by: {code: \"kongsberg-skole\"}) { status } }";
    let publish =
        "mutation { publishQualityFramework(framework: {code: \"kongsberg-skole\"}) { status } }";

    let created = as_user(
        &app,
        Some(OWNER_ADMIN),
        create,
        json!({ "content": content }),
    )
    .await;
    let again = as_user(
        &app,
        Some(OWNER_ADMIN),
        create,
        json!({ "content": content }),
    )
    .await;
    let hidden = as_user(&app, None, find, json!({})).await;
    let seen = as_user(&app, Some(OWNER_ADMIN), find, json!({})).await;
    let distribution =
        "{ levelDistribution(framework: {code: \"kongsberg-skole\"}, criterion: \"1.1\",
        subject: {nation: true}, schoolYears: [2025]) { assessedUnits } }";
    let draft_text = as_user(&app, Some(NATIONAL_READER), distribution, json!({})).await;
    let published = as_user(&app, Some(OWNER_ADMIN), publish, json!({})).await;
    let public = as_user(&app, None, find, json!({})).await;

    assert_eq!(
        created["data"]["createQualityFramework"],
        json!({ "status": "DRAFT", "version": 1 })
    );
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    assert_eq!(hidden["data"]["qualityFramework"], Value::Null);
    assert_eq!(seen["data"]["qualityFramework"]["status"], "DRAFT");
    assert_eq!(
        error_codes(&draft_text),
        ["NOT_FOUND"],
        "a draft is not read through other paths"
    );
    assert_eq!(
        published["data"]["publishQualityFramework"]["status"],
        "PUBLISHED"
    );
    assert_eq!(public["data"]["qualityFramework"]["status"], "PUBLISHED");
}

async fn a_retired_framework_keeps_its_assessments_and_takes_no_new_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let retire =
        "mutation { retireQualityFramework(framework: {code: \"kulturskole\"}) { status } }";
    let before = kongsberg_assessment(&app, "2.1", 2024).await;
    let nation = distribution_query("{nation: true}");
    let distribution_before = as_user(&app, Some(NATIONAL_READER), &nation, json!({})).await;

    let by_owner_admin = as_user(&app, Some(OWNER_ADMIN), retire, json!({})).await;
    let retired = as_user(&app, Some(NATIONAL_ADMIN), retire, json!({})).await;
    let again = as_user(&app, Some(NATIONAL_ADMIN), retire, json!({})).await;
    let assess = as_user(
        &app,
        Some(UNIT_LEADER),
        ASSESS,
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": "2.2", "year": 2025, "level": 3,
                "expected": 0 }),
    )
    .await;
    let edit = as_user(
        &app,
        Some(NATIONAL_ADMIN),
        "mutation($content: QualityFrameworkContentInput!) { editQualityFramework(input:
            {framework: {code: \"kulturskole\"}, expectedVersion: 1, content: $content}) { version } }",
        json!({ "content": { "name": "Ny", "description": "", "unitKinds": ["ARTS_SCHOOL"],
            "levelDefinitions": ["1", "2", "3", "4"], "reflectionQuestions": [],
            "areas": [{ "number": 1, "name": "Område", "criteria": [{ "number": "1.1",
                "name": "K", "levels": [["a"], ["b"], ["c"], ["d"]], "indicators": [] }] }] } }),
    )
    .await;

    assert_eq!(error_codes(&by_owner_admin), ["FORBIDDEN"]);
    assert_eq!(
        retired["data"]["retireQualityFramework"]["status"],
        "RETIRED"
    );
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
    assert_eq!(error_codes(&assess), ["BAD_USER_INPUT"]);
    assert_eq!(error_codes(&edit), ["BAD_USER_INPUT"]);
    let public = app.query(FRAMEWORK, json!({ "code": "kulturskole" })).await;
    assert_eq!(public["qualityFramework"]["status"], "RETIRED");
    assert_eq!(
        public["qualityFramework"]["version"], 1,
        "no edit was written"
    );
    assert_eq!(kongsberg_assessment(&app, "2.1", 2024).await, before);
    let unassessed = as_user(
        &app,
        Some(UNIT_LEADER),
        ASSESSMENT,
        json!({ "unit": KONGSBERG_ARTS_SCHOOL, "criterion": "2.2", "year": 2025 }),
    )
    .await;
    assert_eq!(
        unassessed["data"]["unit"]["assessments"]["edges"],
        json!([]),
        "no assessment was written"
    );
    let distribution_after = as_user(&app, Some(NATIONAL_READER), &nation, json!({})).await;
    assert_eq!(distribution_after, distribution_before);
}

/// The README's example of assessing a criterion: the JSON body its curl command sends (a
/// heredoc), run as the user it names, must answer what the README shows next.
async fn the_readme_assessment_example_answers_as_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (request, expected) =
        readme_heredoc_example("# as leder.kulturskole@kongsberg.kommune.no (assessing)");

    let answered = as_user(
        &app,
        Some(UNIT_LEADER),
        request["query"].as_str().unwrap(),
        json!({}),
    )
    .await;

    assert_eq!(answered, expected);
}

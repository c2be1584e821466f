//! Tiltak (issue 11): initiatives of units and owners with targets against the latest actual
//! values (through the suppression and access rules), status transitions, progress evaluations,
//! optimistic concurrency, change history, and who may read and write what.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, as_user, error_codes, readme_heredoc_example, seed_rows};

crate::on_both_databases!(
    targets_are_compared_with_the_latest_values_the_caller_may_see,
    status_moves_forward_only_and_stale_revisions_conflict,
    initiatives_are_planned_and_read_only_within_their_roles,
    bad_input_gives_a_clear_error_and_writes_nothing,
    the_readme_initiative_examples_answer_as_shown,
);

const OWNER_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const SCHOOL_LEADER: &str = "rektor@kongsberg.kommune.no";
const ARTS_SCHOOL_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";
const DRAMMEN_READER: &str = "analytiker@drammen.kommune.no";
const DRAMMEN_STAFF: &str = "laerer.kulturskole@drammen.kommune.no";
const NATIONAL_READER: &str = "analytiker@kulturskoleradet.no";
const NATIONAL_ADMIN: &str = "admin@varde.example";
const SOLVASEN: &str = "820819675";
const TRASTOLEN: &str = "948876639";
const KONGSBERG_ARTS_SCHOOL: &str = "879819334";

const READING: &str = "schoolYear { year } value n suppressed suppressionReason";

/// An initiative as the tests read it.
fn initiative_fields() -> String {
    format!(
        "id title status revision unit {{ orgNumber }} owner {{ name }} parent {{ title }}
        schoolYears {{ year }} startDate endDate criteria {{ framework {{ code }} criterion }}
        indicators {{ code }} situationSnapshot {{ indicator {{ code }} {READING} }}
        targets {{ indicator {{ code direction }} value bySchoolYear {{ year }}
            actual {{ {READING} }} met }}
        latestEvaluation {{ date judgement text evaluatedBy }}"
    )
}

fn create_mutation() -> String {
    format!(
        "mutation($input: CreateInitiativeInput!) {{ createInitiative(input: $input) {{ {} }} }}",
        initiative_fields()
    )
}

const STATUS: &str = "mutation($id: ID!, $expected: Int!, $status: InitiativeStatus!) {
    changeInitiativeStatus(input: {initiative: $id, expectedRevision: $expected, status: $status}) {
        status revision } }";

const EDIT: &str = "mutation($id: ID!, $expected: Int!, $content: InitiativeContentInput!) {
    editInitiative(input: {initiative: $id, expectedRevision: $expected, content: $content}) {
        revision title } }";

const EVALUATE: &str = "mutation($id: ID!, $date: NaiveDate!, $judgement: Judgement!) {
    evaluateInitiative(input: {initiative: $id, date: $date, judgement: $judgement,
        text: \"Godt i gang.\"}) { latestEvaluation { date judgement evaluatedBy } } }";

/// Everything of Kongsberg's initiatives the caller may read: the owner's own, with children,
/// and the overview of its units'.
fn kongsberg_query() -> String {
    format!(
        "{{ owner(by: {{code: \"3303\"}}) {{
            initiatives {{ edges {{ node {{ {fields} children {{ edges {{ node {{ title }} }} }} }} }} }}
            initiativeOverview {{ edges {{ node {{ {fields} }} }} }} }} }}",
        fields = initiative_fields()
    )
}

/// Titles of the own initiatives and of the overview of Kongsberg, as `user` reads them.
async fn kongsberg_titles(app: &TestApp, user: Option<&str>) -> (Vec<String>, Vec<String>) {
    let body = as_user(app, user, &kongsberg_query(), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let titles = |list: &str| -> Vec<String> {
        body["data"]["owner"][list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    (titles("initiatives"), titles("initiativeOverview"))
}

/// The latest seeded value (group of everyone) of `indicator` for a unit (organisasjonsnummer)
/// or an owner (kommunenummer), as a reading: computed from the seed files, prikket as the
/// source or its threshold says.
fn seeded_reading(indicator: &str, level: &str, code: &str) -> Value {
    let source = seed_rows("indicators.csv")
        .into_iter()
        .find(|row| row["code"] == indicator)
        .unwrap()["source_code"]
        .clone();
    let threshold: i64 = seed_rows("data_sources.csv")
        .into_iter()
        .find(|row| row["code"] == source)
        .unwrap()["suppression_threshold"]
        .parse()
        .unwrap();
    let row = seed_rows("values.csv")
        .into_iter()
        .filter(|row| {
            row["indicator_code"] == indicator
                && row["subject_level"] == level
                && row["subject_code"] == code
                && row["group"] == "all"
        })
        .max_by_key(|row| row["school_year"].parse::<i32>().unwrap())
        .unwrap();
    let year: i32 = row["school_year"].parse().unwrap();
    let n: Option<i64> = row["n"].parse().ok();
    let reason = if row["suppressed"] == "true" {
        Some("SUPPRESSED_AT_SOURCE")
    } else if n.is_some_and(|n| n < threshold) {
        Some("BELOW_THRESHOLD")
    } else {
        None
    };
    let value: Option<f64> = row["value"].parse().ok();
    json!({
        "schoolYear": { "year": year },
        "value": if reason.is_some() { None } else { value },
        "n": if reason.is_some() { None } else { n },
        "suppressed": reason.is_some(),
        "suppressionReason": reason,
    })
}

/// A target as the API answers it.
fn target(
    indicator: &str,
    direction: &str,
    value: f64,
    by: i32,
    actual: Value,
    met: Value,
) -> Value {
    json!({ "indicator": { "code": indicator, "direction": direction }, "value": value,
            "bySchoolYear": { "year": by }, "actual": actual, "met": met })
}

/// The input of a new initiative at Tråstølen skole (Kongsberg): a suppressed actual (nasjonale
/// prøver lesing 5. trinn 2025-26 is prikket at the source) and a lower-is-better target.
fn trastolen_input() -> Value {
    json!({ "input": {
        "of": { "unit": { "orgNumber": TRASTOLEN } },
        "content": {
            "title": "Lesing og trygghet på Tråstølen",
            "startDate": "2026-01-05", "endDate": "2026-12-18",
            "indicators": ["np_lesing_5", "eu_mobbing", "eu_trivsel"],
            "targets": [
                { "indicator": "np_lesing_5", "value": 50.0, "bySchoolYear": 2026 },
                { "indicator": "eu_mobbing", "value": 1.4, "bySchoolYear": 2026 },
                { "indicator": "eu_trivsel", "value": 4.5, "bySchoolYear": 2026 }
            ],
            "schoolYears": [2026, 2025]
        } } })
}

async fn targets_are_compared_with_the_latest_values_the_caller_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let seeded = as_user(&app, Some(OWNER_ADMIN), &kongsberg_query(), json!({})).await;
    let created = as_user(
        &app,
        Some(OWNER_ADMIN),
        &create_mutation(),
        trastolen_input(),
    )
    .await;
    // An owner's own initiative: Kongsberg's published Mobbing 1.3 meets 1.3 (lower is better);
    // the arts-school survey has no owner-level value, so that target is not met.
    let owner_input = json!({ "input": {
        "of": { "owner": { "code": "3303" } },
        "content": { "title": "Kulturskole og skolemiljø", "startDate": "2026-01-05",
            "indicators": ["eu_mobbing", "ke_trivsel"],
            "targets": [
                { "indicator": "eu_mobbing", "value": 1.3, "bySchoolYear": 2026 },
                { "indicator": "ke_trivsel", "value": 4.0, "bySchoolYear": 2026 }
            ] } } });
    let owned = as_user(&app, Some(OWNER_ADMIN), &create_mutation(), owner_input).await;
    let by_year = |year: i32, status: &str| {
        format!(
            "{{ owner(by: {{code: \"3303\"}}) {{ initiativeOverview(filter: {{schoolYear: {year},
                status: {status}}}) {{ edges {{ node {{ title }} }} }} }} }}"
        )
    };
    let planned_2026 = as_user(
        &app,
        Some(OWNER_ADMIN),
        &by_year(2026, "PLANNED"),
        json!({}),
    )
    .await;
    let active_2026 = as_user(&app, Some(OWNER_ADMIN), &by_year(2026, "ACTIVE"), json!({})).await;

    assert!(seeded.get("errors").is_none(), "{seeded:#}");
    let own = &seeded["data"]["owner"]["initiatives"]["edges"][0]["node"];
    assert_eq!(own["title"], "Trygt og godt skolemiljø i Kongsbergskolen");
    assert_eq!(own["unit"], Value::Null);
    assert_eq!(
        own["children"]["edges"],
        json!([{ "node": { "title": "Trygge friminutt på Sølvåsen" } }])
    );
    // By hand from seeds/values.csv: Kongsberg's published Mobbing 2025-26 is 1.3, above the
    // target 1.2 where lower is better; its Trivsel 4.4 meets 4.4.
    assert_eq!(
        own["targets"],
        json!([
            target(
                "eu_mobbing",
                "LOWER_IS_BETTER",
                1.2,
                2026,
                seeded_reading("eu_mobbing", "owner", "3303"),
                json!(false)
            ),
            target(
                "eu_trivsel",
                "HIGHER_IS_BETTER",
                4.4,
                2026,
                seeded_reading("eu_trivsel", "owner", "3303"),
                json!(true)
            ),
        ])
    );
    assert_eq!(own["targets"][0]["actual"]["value"], 1.3);
    assert_eq!(
        own["latestEvaluation"],
        json!({ "date": "2025-12-10", "judgement": "ON_TRACK",
                "text": "Alle barneskolene har trivselsledere.", "evaluatedBy": OWNER_ADMIN })
    );
    let overview = seeded["data"]["owner"]["initiativeOverview"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(overview.len(), 2, "Sølvåsen's and the kulturskole's");
    let solvasen = &overview[0]["node"];
    assert_eq!(solvasen["parent"]["title"], own["title"]);
    // Sølvåsen's Mobbing 1.3 meets 1.3 (lower is better: at or below); Trivsel 4.3 misses 4.5.
    assert_eq!(
        solvasen["targets"],
        json!([
            target(
                "eu_mobbing",
                "LOWER_IS_BETTER",
                1.3,
                2025,
                seeded_reading("eu_mobbing", "unit", SOLVASEN),
                json!(true)
            ),
            target(
                "eu_trivsel",
                "HIGHER_IS_BETTER",
                4.5,
                2026,
                seeded_reading("eu_trivsel", "unit", SOLVASEN),
                json!(false)
            ),
        ])
    );
    assert_eq!(
        solvasen["latestEvaluation"]["judgement"], "AT_RISK",
        "the latest by date of its two evaluations"
    );
    let arts_school = &overview[1]["node"];
    assert_eq!(arts_school["status"], "PLANNED");
    assert_eq!(arts_school["latestEvaluation"], Value::Null);
    assert_eq!(
        arts_school["criteria"],
        json!([{ "framework": { "code": "kulturskole" }, "criterion": "1.4" }])
    );
    // The restricted parent survey, read by the owner's admin: Informasjon 3.83 misses 4.0.
    let informasjon = seeded_reading("kf_informasjon", "unit", KONGSBERG_ARTS_SCHOOL);
    assert_eq!(informasjon["value"], 3.83);
    assert_eq!(
        arts_school["targets"],
        json!([target(
            "kf_informasjon",
            "HIGHER_IS_BETTER",
            4.0,
            2026,
            informasjon.clone(),
            json!(false)
        )])
    );
    let mut snapshot_of_informasjon = informasjon;
    snapshot_of_informasjon["indicator"] = json!({ "code": "kf_informasjon" });
    assert_eq!(arts_school["situationSnapshot"][0], snapshot_of_informasjon);

    assert!(created.get("errors").is_none(), "{created:#}");
    let created = &created["data"]["createInitiative"];
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["revision"], 1);
    assert_eq!(
        created["schoolYears"],
        json!([{ "year": 2025 }, { "year": 2026 }])
    );
    let lesing = seeded_reading("np_lesing_5", "unit", TRASTOLEN);
    assert_eq!(lesing["suppressionReason"], "SUPPRESSED_AT_SOURCE");
    let mobbing = seeded_reading("eu_mobbing", "unit", TRASTOLEN);
    assert_eq!(mobbing["value"], 1.4);
    assert_eq!(
        created["targets"],
        json!([
            target(
                "np_lesing_5",
                "HIGHER_IS_BETTER",
                50.0,
                2026,
                lesing.clone(),
                json!(false)
            ),
            target(
                "eu_mobbing",
                "LOWER_IS_BETTER",
                1.4,
                2026,
                mobbing,
                json!(true)
            ),
            target(
                "eu_trivsel",
                "HIGHER_IS_BETTER",
                4.5,
                2026,
                seeded_reading("eu_trivsel", "unit", TRASTOLEN),
                json!(false)
            ),
        ]),
        "a prikket actual says so and is never met; 1.4 meets 1.4 where lower is better"
    );
    let snapshot: Vec<Value> = created["situationSnapshot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reading| reading["suppressionReason"].clone())
        .collect();
    assert_eq!(
        snapshot,
        [json!("SUPPRESSED_AT_SOURCE"), Value::Null, Value::Null]
    );

    let owned = &owned["data"]["createInitiative"];
    assert_eq!(owned["unit"], Value::Null);
    assert_eq!(owned["owner"]["name"], "Kongsberg kommune");
    let no_value = json!({ "schoolYear": null, "value": null, "n": null, "suppressed": false,
        "suppressionReason": null });
    assert_eq!(
        owned["targets"],
        json!([
            target(
                "eu_mobbing",
                "LOWER_IS_BETTER",
                1.3,
                2026,
                seeded_reading("eu_mobbing", "owner", "3303"),
                json!(true)
            ),
            target(
                "ke_trivsel",
                "HIGHER_IS_BETTER",
                4.0,
                2026,
                no_value,
                json!(false)
            ),
        ])
    );

    let titles = |body: &Value| -> Vec<String> {
        body["data"]["owner"]["initiativeOverview"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(&planned_2026),
        [
            "Bedre informasjon til foresatte",
            "Lesing og trygghet på Tråstølen"
        ]
    );
    assert!(
        titles(&active_2026).is_empty(),
        "Sølvåsen's runs in 2025-26 only"
    );
}

async fn status_moves_forward_only_and_stale_revisions_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = as_user(
        &app,
        Some(OWNER_ADMIN),
        &create_mutation(),
        trastolen_input(),
    )
    .await;
    let id = created["data"]["createInitiative"]["id"].clone();
    let status =
        |expected: i64, status: &str| json!({ "id": id, "expected": expected, "status": status });
    let content = json!({ "title": "Lesing på Tråstølen", "startDate": "2026-01-05",
        "indicators": ["eu_mobbing"], "targets": [{ "indicator": "eu_mobbing", "value": 1.3, "bySchoolYear": 2026 }] });

    let skipped = as_user(&app, Some(OWNER_ADMIN), STATUS, status(1, "COMPLETED")).await;
    let evaluated_early = as_user(
        &app,
        Some(OWNER_ADMIN),
        EVALUATE,
        json!({ "id": id, "date": "2026-02-01", "judgement": "ON_TRACK" }),
    )
    .await;
    let started = as_user(&app, Some(OWNER_ADMIN), STATUS, status(1, "ACTIVE")).await;
    let stale_status = as_user(&app, Some(OWNER_ADMIN), STATUS, status(1, "CANCELLED")).await;
    let back = as_user(&app, Some(OWNER_ADMIN), STATUS, status(2, "PLANNED")).await;
    // Two edits of revision 2 at once: exactly one wins, the other is told and writes nothing.
    let edit = |title: &str| {
        let mut content = content.clone();
        content["title"] = json!(title);
        json!({ "id": id, "expected": 2, "content": content })
    };
    let (first, second) = tokio::join!(
        as_user(&app, Some(OWNER_ADMIN), EDIT, edit("Lesing på Tråstølen")),
        as_user(&app, Some(OWNER_ADMIN), EDIT, edit("Trygghet på Tråstølen")),
    );
    let evaluated = as_user(
        &app,
        Some(OWNER_ADMIN),
        EVALUATE,
        json!({ "id": id, "date": "2026-02-01", "judgement": "AT_RISK" }),
    )
    .await;
    let completed = as_user(&app, Some(OWNER_ADMIN), STATUS, status(3, "COMPLETED")).await;
    let reopened = as_user(&app, Some(OWNER_ADMIN), STATUS, status(4, "ACTIVE")).await;
    let cancelled = as_user(&app, Some(OWNER_ADMIN), STATUS, status(4, "CANCELLED")).await;
    let edited_after = as_user(
        &app,
        Some(OWNER_ADMIN),
        EDIT,
        json!({ "id": id, "expected": 4, "content": content }),
    )
    .await;
    let history_query = "query($id: ID!) { initiative(id: $id) { revision status title
        history { edges { node { revision fields changedBy } } } } }";
    let history = as_user(&app, Some(OWNER_ADMIN), history_query, json!({ "id": id })).await;

    assert_eq!(error_codes(&skipped), ["BAD_USER_INPUT"]);
    assert!(
        skipped["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("planned -> active")
    );
    assert_eq!(
        error_codes(&evaluated_early),
        ["BAD_USER_INPUT"],
        "a planned initiative is not evaluated"
    );
    assert_eq!(
        started["data"]["changeInitiativeStatus"],
        json!({ "status": "ACTIVE", "revision": 2 })
    );
    assert_eq!(error_codes(&stale_status), ["CONFLICT"]);
    assert_eq!(error_codes(&back), ["BAD_USER_INPUT"]);
    let outcomes = [error_codes(&first), error_codes(&second)];
    assert!(
        outcomes.contains(&vec![]) && outcomes.contains(&vec!["CONFLICT".to_owned()]),
        "{first:#}\n{second:#}"
    );
    let winner = [&first, &second]
        .into_iter()
        .find(|body| body.get("errors").is_none())
        .unwrap()["data"]["editInitiative"]["title"]
        .clone();
    assert_eq!(
        evaluated["data"]["evaluateInitiative"]["latestEvaluation"],
        json!({ "date": "2026-02-01", "judgement": "AT_RISK", "evaluatedBy": OWNER_ADMIN })
    );
    assert_eq!(
        completed["data"]["changeInitiativeStatus"],
        json!({ "status": "COMPLETED", "revision": 4 })
    );
    assert_eq!(error_codes(&reopened), ["BAD_USER_INPUT"]);
    assert_eq!(error_codes(&cancelled), ["BAD_USER_INPUT"]);
    assert_eq!(
        error_codes(&edited_after),
        ["BAD_USER_INPUT"],
        "a completed initiative is kept"
    );
    let history = &history["data"]["initiative"];
    assert_eq!(history["revision"], 4);
    assert_eq!(history["title"], winner);
    assert_eq!(
        history["history"]["edges"],
        json!([
            { "node": { "revision": 1, "fields": ["created"], "changedBy": OWNER_ADMIN } },
            { "node": { "revision": 2, "fields": ["status"], "changedBy": OWNER_ADMIN } },
            { "node": { "revision": 3, "fields": ["title", "endDate", "indicators", "targets", "schoolYears"], "changedBy": OWNER_ADMIN } },
            { "node": { "revision": 4, "fields": ["status"], "changedBy": OWNER_ADMIN } },
        ])
    );
}

async fn initiatives_are_planned_and_read_only_within_their_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let seeded = as_user(&app, Some(OWNER_ADMIN), &kongsberg_query(), json!({})).await;
    let solvasen_id =
        seeded["data"]["owner"]["initiativeOverview"]["edges"][0]["node"]["id"].clone();
    let arts_school_id =
        seeded["data"]["owner"]["initiativeOverview"]["edges"][1]["node"]["id"].clone();
    let own_id = seeded["data"]["owner"]["initiatives"]["edges"][0]["node"]["id"].clone();
    let create = create_mutation();
    let create_at = |of: Value| json!({ "input": { "of": of, "content": { "title": "Nytt tiltak", "startDate": "2026-01-05" } } });
    let unit = |org: &str| json!({ "unit": { "orgNumber": org } });
    let owner = |code: &str| json!({ "owner": { "code": code } });
    let evaluate = |id: &Value| json!({ "id": id, "date": "2026-02-01", "judgement": "ON_TRACK" });
    let cases: Vec<(Option<&str>, &str, Value, &str)> = vec![
        (None, &create, create_at(unit(SOLVASEN)), "UNAUTHENTICATED"),
        (
            Some(SCHOOL_LEADER),
            &create,
            create_at(unit(TRASTOLEN)),
            "FORBIDDEN",
        ),
        (
            Some(SCHOOL_LEADER),
            &create,
            create_at(owner("3303")),
            "FORBIDDEN",
        ),
        (
            Some(ARTS_SCHOOL_LEADER),
            &create,
            create_at(unit(SOLVASEN)),
            "FORBIDDEN",
        ),
        (
            Some(DRAMMEN_READER),
            &create,
            create_at(owner("3301")),
            "FORBIDDEN",
        ),
        (
            Some(DRAMMEN_STAFF),
            &create,
            create_at(unit("903208074")),
            "FORBIDDEN",
        ),
        (
            Some(NATIONAL_ADMIN),
            &create,
            create_at(unit(SOLVASEN)),
            "FORBIDDEN",
        ),
        (
            Some(NATIONAL_READER),
            &create,
            create_at(owner("3303")),
            "FORBIDDEN",
        ),
        (
            Some(SCHOOL_LEADER),
            STATUS,
            json!({ "id": arts_school_id, "expected": 1, "status": "ACTIVE" }),
            "FORBIDDEN",
        ),
        (
            Some(SCHOOL_LEADER),
            STATUS,
            json!({ "id": own_id, "expected": 1, "status": "COMPLETED" }),
            "FORBIDDEN",
        ),
        (
            Some(ARTS_SCHOOL_LEADER),
            EVALUATE,
            evaluate(&solvasen_id),
            "FORBIDDEN",
        ),
        (
            Some(DRAMMEN_READER),
            EVALUATE,
            evaluate(&solvasen_id),
            "FORBIDDEN",
        ),
        (None, EVALUATE, evaluate(&solvasen_id), "UNAUTHENTICATED"),
    ];
    for (user, mutation, variables, code) in &cases {
        let body = as_user(&app, *user, mutation, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            [*code],
            "{user:?}: {variables}\n{body:#}"
        );
    }
    let after = as_user(&app, Some(OWNER_ADMIN), &kongsberg_query(), json!({})).await;
    assert_eq!(seeded, after, "nothing was written");

    // Reading: the owner's roles read everything of the owner; a unit's roles their unit's and
    // the owner's own; nobody else anything.
    let all = (
        vec!["Trygt og godt skolemiljø i Kongsbergskolen".to_owned()],
        vec![
            "Trygge friminutt på Sølvåsen".to_owned(),
            "Bedre informasjon til foresatte".to_owned(),
        ],
    );
    assert_eq!(kongsberg_titles(&app, Some(OWNER_ADMIN)).await, all);
    assert_eq!(
        kongsberg_titles(&app, Some(SCHOOL_LEADER)).await,
        (all.0.clone(), vec![all.1[0].clone()])
    );
    assert_eq!(
        kongsberg_titles(&app, Some(ARTS_SCHOOL_LEADER)).await,
        (all.0.clone(), vec![all.1[1].clone()])
    );
    for outsider in [
        None,
        Some(DRAMMEN_READER),
        Some(NATIONAL_READER),
        Some(NATIONAL_ADMIN),
        Some(DRAMMEN_STAFF),
    ] {
        assert_eq!(
            kongsberg_titles(&app, outsider).await,
            (Vec::new(), Vec::new()),
            "{outsider:?} reads no Kongsberg initiative"
        );
        let by_id = as_user(
            &app,
            outsider,
            "query($id: ID!) { initiative(id: $id) { title } node(id: $id) { id } }",
            json!({ "id": solvasen_id }),
        )
        .await;
        assert_eq!(
            by_id["data"],
            json!({ "initiative": null, "node": null }),
            "{outsider:?}"
        );
    }
    let unit_list = "query($org: String!) { unit(by: {orgNumber: $org}) { initiatives { edges { node { title } } } } }";
    let own_unit = as_user(
        &app,
        Some(SCHOOL_LEADER),
        unit_list,
        json!({ "org": SOLVASEN }),
    )
    .await;
    let other_unit = as_user(
        &app,
        Some(SCHOOL_LEADER),
        unit_list,
        json!({ "org": KONGSBERG_ARTS_SCHOOL }),
    )
    .await;
    assert_eq!(
        own_unit["data"]["unit"]["initiatives"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        other_unit["data"]["unit"]["initiatives"]["edges"],
        json!([])
    );

    // The history is the owner's admins' only.
    let history =
        "query($id: ID!) { initiative(id: $id) { history { edges { node { revision } } } } }";
    let admin = as_user(
        &app,
        Some(OWNER_ADMIN),
        history,
        json!({ "id": solvasen_id }),
    )
    .await;
    let leader = as_user(
        &app,
        Some(SCHOOL_LEADER),
        history,
        json!({ "id": solvasen_id }),
    )
    .await;
    assert_eq!(
        admin["data"]["initiative"]["history"]["edges"],
        json!([{ "node": { "revision": 1 } }])
    );
    assert_eq!(error_codes(&leader), ["FORBIDDEN"]);
    assert_eq!(
        leader["data"]["initiative"]["history"],
        Value::Null,
        "the rest of the answer stands"
    );

    // The unit's leader plans at the unit, as part of the owner's initiative.
    let mut as_part = create_at(unit(SOLVASEN));
    as_part["input"]["parent"] = own_id.clone();
    let planned = as_user(&app, Some(SCHOOL_LEADER), &create, as_part).await;
    assert_eq!(
        planned["data"]["createInitiative"]["parent"]["title"],
        all.0[0]
    );
}

async fn bad_input_gives_a_clear_error_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = as_user(&app, Some(OWNER_ADMIN), &kongsberg_query(), json!({})).await;
    let solvasen_id =
        before["data"]["owner"]["initiativeOverview"]["edges"][0]["node"]["id"].clone();
    let arts_school_id =
        before["data"]["owner"]["initiativeOverview"]["edges"][1]["node"]["id"].clone();
    let with = |change: Value| {
        let mut input = trastolen_input();
        for (key, value) in change.as_object().unwrap() {
            input["input"]["content"][key] = value.clone();
        }
        input
    };
    let cases = [
        (
            with(json!({ "endDate": "2025-12-31" })),
            "the end date 2025-12-31 is before the start date 2026-01-05",
        ),
        (
            with(
                json!({ "indicators": ["ke_trivsel"], "targets": [{ "indicator": "ke_trivsel", "value": 4.5, "bySchoolYear": 2026 }] }),
            ),
            "indikator \"ke_trivsel\" does not apply to a school",
        ),
        (
            with(
                json!({ "targets": [{ "indicator": "eu_motivasjon", "value": 4.0, "bySchoolYear": 2026 }] }),
            ),
            "the target on \"eu_motivasjon\" needs the indicator among the linked indicators",
        ),
        (
            with(
                json!({ "criteria": [{ "framework": { "code": "kulturskole" }, "criterion": "9.9" }] }),
            ),
            "kvalitetskjennetegn (criterion) \"9.9\" is not in this framework",
        ),
        (
            with(json!({ "indicators": ["eu_ukjent"], "targets": [] })),
            "unknown indikator \"eu_ukjent\"",
        ),
        (with(json!({ "title": "  " })), "the title is empty"),
        (
            with(json!({ "schoolYears": [1900] })),
            "school year \"1900\"",
        ),
        (
            with(json!({ "description": "x".repeat(4001) })),
            "description has 4001 characters",
        ),
    ];
    for (variables, message) in cases {
        let body = as_user(&app, Some(OWNER_ADMIN), &create_mutation(), variables).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
        let text = body["errors"][0]["message"].as_str().unwrap();
        assert!(text.contains(message), "{text:?} names {message:?}");
    }
    let unknown_framework = as_user(
        &app,
        Some(OWNER_ADMIN),
        &create_mutation(),
        with(json!({ "criteria": [{ "framework": { "code": "ukjent" }, "criterion": "1.1" }] })),
    )
    .await;
    assert_eq!(error_codes(&unknown_framework), ["NOT_FOUND"]);
    let mut foreign_parent = trastolen_input();
    foreign_parent["input"]["parent"] = solvasen_id.clone();
    let parent = as_user(&app, Some(OWNER_ADMIN), &create_mutation(), foreign_parent).await;
    assert_eq!(
        error_codes(&parent),
        ["BAD_USER_INPUT"],
        "a unit's initiative is no parent"
    );
    let early = as_user(
        &app,
        Some(SCHOOL_LEADER),
        EVALUATE,
        json!({ "id": solvasen_id, "date": "2025-01-01", "judgement": "OFF_TRACK" }),
    )
    .await;
    assert_eq!(
        error_codes(&early),
        ["BAD_USER_INPUT"],
        "an evaluation before the start"
    );
    let planned = as_user(
        &app,
        Some(ARTS_SCHOOL_LEADER),
        EVALUATE,
        json!({ "id": arts_school_id, "date": "2026-02-01", "judgement": "ON_TRACK" }),
    )
    .await;
    assert_eq!(
        error_codes(&planned),
        ["BAD_USER_INPUT"],
        "a planned initiative is not evaluated"
    );
    let edit = as_user(&app, Some(ARTS_SCHOOL_LEADER), EDIT, json!({ "id": arts_school_id, "expected": 1,
        "content": { "title": "Bedre informasjon", "startDate": "2026-01-05", "endDate": "2025-01-01" } })).await;
    assert_eq!(error_codes(&edit), ["BAD_USER_INPUT"]);
    let not_an_id = as_user(
        &app,
        Some(OWNER_ADMIN),
        STATUS,
        json!({ "id": "Tm8", "expected": 1, "status": "ACTIVE" }),
    )
    .await;
    assert_eq!(error_codes(&not_an_id), ["BAD_USER_INPUT"]);

    let after = as_user(&app, Some(OWNER_ADMIN), &kongsberg_query(), json!({})).await;
    assert_eq!(before, after, "nothing was written");
    let trastolen = as_user(
        &app,
        Some(OWNER_ADMIN),
        "{ unit(by: {orgNumber: \"948876639\"}) { initiatives { edges { node { id } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(trastolen["data"]["unit"]["initiatives"]["edges"], json!([]));
}

/// The README's initiative examples: the JSON bodies its curl commands send (heredocs), run as
/// the user each names, in order, must answer what the README shows after each.
async fn the_readme_initiative_examples_answer_as_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for marker in [
        "# as rektor@kongsberg.kommune.no (creating an initiative)",
        "# as rektor@kongsberg.kommune.no (evaluating)",
    ] {
        let (request, expected) = readme_heredoc_example(marker);

        let answered = as_user(
            &app,
            Some(SCHOOL_LEADER),
            request["query"].as_str().unwrap(),
            json!({}),
        )
        .await;

        assert_eq!(answered, expected, "{marker}");
    }
}

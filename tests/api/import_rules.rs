//! Editing import rules (importregler, issue 17): national admins add, change and remove a
//! source's rules through GraphQL, checked against the indicators and groups there are, audited
//! like every mutation; the next import reads the rules as they are.

use std::path::Path;

use serde_json::{Value, json};
use varde::import::{ImportRequest, ReadOptions, import};

use crate::helpers::{Backend, TestApp, error_codes, stored_rows};

crate::on_both_databases!(
    national_admins_edit_import_rules_and_the_next_import_follows_them,
    rule_edits_are_checked_and_refused_to_all_but_national_admins,
);

const NATIONAL_ADMIN: &str = "admin@varde.example";

const SET: &str = "mutation($input: ImportRuleInput!) {
    setImportRule(input: $input) { source kind sourceCode target } }";

const REMOVE: &str = "mutation($source: String!, $kind: ImportRuleKind!, $code: String!) {
    removeImportRule(source: $source, kind: $kind, sourceCode: $code) }";

/// The problems of a dry run of the bad template file, by line.
async fn bad_file_problems(app: &TestApp) -> Vec<String> {
    let request = ImportRequest {
        source: "varde-mal".into(),
        file_name: "mal-feil.csv".into(),
        imported_by: "test".into(),
        options: ReadOptions::default(),
        dry_run: true,
        splits: Vec::new(),
    };
    let file = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/mal-feil.csv"),
    )
    .unwrap();
    let report = import(&app.store, &request, file).await.unwrap();
    report
        .problems
        .iter()
        .map(|problem| problem.location.to_string())
        .collect()
}

async fn national_admins_edit_import_rules_and_the_next_import_follows_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(NATIONAL_ADMIN).await;
    // Line 4 of the bad file gives eu_trivsel, which the template source has no rule for.
    assert!(bad_file_problems(&app).await.contains(&"line 4".to_owned()));

    let set = app
        .query_as(
            Some(&token),
            SET,
            json!({ "input": { "source": "varde-mal", "kind": "INDICATOR",
                               "sourceCode": " eu_trivsel ", "target": "eu_trivsel" } }),
        )
        .await;
    assert_eq!(
        set["data"]["setImportRule"],
        json!({ "source": "varde-mal", "kind": "INDICATOR", "sourceCode": "eu_trivsel",
                "target": "eu_trivsel" }),
        "{set:#}"
    );
    assert!(!bad_file_problems(&app).await.contains(&"line 4".to_owned()));

    // Changing a rule replaces its target; there is still one rule for the code.
    let changed = app
        .query_as(
            Some(&token),
            SET,
            json!({ "input": { "source": "varde-mal", "kind": "INDICATOR",
                               "sourceCode": "eu_trivsel", "target": "eu_mobbing" } }),
        )
        .await;
    assert_eq!(changed["data"]["setImportRule"]["target"], "eu_mobbing");
    let rules: Vec<(String,)> = stored_rows(
        &app.database_url,
        "SELECT target FROM import_rules WHERE source_code = 'eu_trivsel'",
    )
    .await;
    assert_eq!(rules, [("eu_mobbing".to_owned(),)]);

    // A group rule is stored in the group's canonical form.
    let group = app
        .query_as(
            Some(&token),
            SET,
            json!({ "input": { "source": "udir-statistikkbanken", "kind": "GROUP",
                               "sourceCode": "TrinnKode=07", "target": " trinn=07 " } }),
        )
        .await;
    assert_eq!(
        group["data"]["setImportRule"]["target"], "trinn=7",
        "{group:#}"
    );

    let removed = app
        .query_as(
            Some(&token),
            REMOVE,
            json!({ "source": "varde-mal", "kind": "INDICATOR", "code": "eu_trivsel" }),
        )
        .await;
    assert_eq!(removed["data"]["removeImportRule"], true, "{removed:#}");
    let again = app
        .query_as(
            Some(&token),
            REMOVE,
            json!({ "source": "varde-mal", "kind": "INDICATOR", "code": "eu_trivsel" }),
        )
        .await;
    assert_eq!(again["data"]["removeImportRule"], false);
    assert!(bad_file_problems(&app).await.contains(&"line 4".to_owned()));

    // Every edit is in the audit log, as every mutation is.
    let audited: Vec<(String, String)> = stored_rows(
        &app.database_url,
        "SELECT actor, fields FROM audit_log WHERE kind = 'mutation' ORDER BY id",
    )
    .await;
    let edits = audited
        .iter()
        .filter(|(actor, fields)| actor == NATIONAL_ADMIN && fields.contains("ImportRule"))
        .count();
    assert_eq!(edits, 5, "{audited:?}");
}

async fn rule_edits_are_checked_and_refused_to_all_but_national_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let input = |source: &str, kind: &str, code: &str, target: &str| json!({ "input": { "source": source, "kind": kind, "sourceCode": code, "target": target } });
    let good = input("varde-mal", "INDICATOR", "eu_trivsel", "eu_trivsel");

    let anonymous = app.query_response(SET, good.clone()).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for user in [
        "radgiver@kongsberg.kommune.no",
        "analytiker@kulturskoleradet.no",
    ] {
        let token = app.token_for(user).await;
        let refused = app.query_as(Some(&token), SET, good.clone()).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{user}");
        let refused = app
            .query_as(
                Some(&token),
                REMOVE,
                json!({ "source": "varde-mal", "kind": "INDICATOR", "code": "ke_trivsel" }),
            )
            .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{user}");
    }

    let token = app.token_for(NATIONAL_ADMIN).await;
    for (variables, code, says) in [
        (
            input("varde-mal", "INDICATOR", "x", "no_such_indicator"),
            "BAD_USER_INPUT",
            "no indicator with the code \"no_such_indicator\"",
        ),
        (
            input("varde-mal", "GROUP", "x", "trinn=99"),
            "BAD_USER_INPUT",
            "is not a known group",
        ),
        (
            input("varde-mal", "INDICATOR", "  ", "eu_trivsel"),
            "BAD_USER_INPUT",
            "sourceCode",
        ),
        (
            input("udir", "INDICATOR", "x", "eu_trivsel"),
            "NOT_FOUND",
            "no import source is called \"udir\"",
        ),
        (
            input("udir-statistikkbanken", "SPLIT", "x", "1508"),
            "BAD_USER_INPUT",
            "kommunenummer \"x\" must be 4 digits",
        ),
        (
            input("udir-statistikkbanken", "SPLIT", "1507", "15O8"),
            "BAD_USER_INPUT",
            "kommunenummer \"15O8\" must be 4 digits",
        ),
        (
            input("udir-statistikkbanken", "NAME", "x", "123456789"),
            "BAD_USER_INPUT",
            "must be 9 digits with a valid mod-11 check digit",
        ),
        // A valid organisasjonsnummer (mod 11) that no enhet has.
        (
            input("udir-statistikkbanken", "NAME", "x", "999999999"),
            "BAD_USER_INPUT",
            "no enhet with the organisasjonsnummer \"999999999\"",
        ),
    ] {
        let refused = app.query_as(Some(&token), SET, variables.clone()).await;
        assert_eq!(error_codes(&refused), [code], "{variables}: {refused:#}");
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{refused:#}"
        );
    }
    let rules: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "SELECT id FROM import_rules WHERE source_code IN ('x', 'eu_trivsel')",
    )
    .await;
    assert!(rules.is_empty(), "no refused edit wrote a rule");
    let missing = app
        .query_as(
            Some(&token),
            REMOVE,
            json!({ "source": "udir", "kind": "INDICATOR", "code": "x" }),
        )
        .await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
    assert_eq!(missing["data"], Value::Null);

    // Split and name rules are stored as the imports read them.
    for (kind, code, target) in [
        ("SPLIT", " 1507 ", "1580"),
        ("NAME", "Myrjordet barneskole ", "873177845"),
    ] {
        let set = app
            .query_as(
                Some(&token),
                SET,
                input("udir-statistikkbanken", kind, code, target),
            )
            .await;
        assert_eq!(
            set["data"]["setImportRule"],
            json!({ "source": "udir-statistikkbanken", "kind": kind, "sourceCode": code.trim(), "target": target }),
            "{set:#}"
        );
    }
    let stored: Vec<(String, String, String)> = stored_rows(
        &app.database_url,
        "SELECT r.kind, r.source_code, r.target FROM import_rules r \
         JOIN import_sources s ON s.id = r.source_id \
         WHERE s.name = 'udir-statistikkbanken' AND r.kind IN ('split', 'name') ORDER BY r.kind",
    )
    .await;
    assert_eq!(
        stored,
        [
            (
                "name".into(),
                "Myrjordet barneskole".into(),
                "873177845".into()
            ),
            ("split".into(), "1507".into(), "1580".into()),
        ]
    );
    // ... and listed, for national admins only.
    let rules = "query($source: String!) { importRules(source: $source, first: 50) {
        edges { node { kind sourceCode target } } } }";
    let listed = app
        .query_as(
            Some(&token),
            rules,
            json!({ "source": "udir-statistikkbanken" }),
        )
        .await;
    let listed: Vec<&Value> = listed["data"]["importRules"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    for (kind, code, target) in [
        ("SPLIT", "1507", "1580"),
        ("NAME", "Myrjordet barneskole", "873177845"),
    ] {
        let rule = json!({ "kind": kind, "sourceCode": code, "target": target });
        assert!(listed.contains(&&rule), "{rule} in {listed:#?}");
    }
    let unknown = app
        .query_as(Some(&token), rules, json!({ "source": "udir" }))
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
    let reader = app.token_for("analytiker@kulturskoleradet.no").await;
    let refused = app
        .query_as(
            Some(&reader),
            rules,
            json!({ "source": "udir-statistikkbanken" }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
}

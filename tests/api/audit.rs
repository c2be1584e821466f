//! The audit log (issue 14): every read of restricted unit data and every mutation is recorded,
//! without the values, read back by the owner's admins and national admins, kept for the
//! configured time; a record that cannot be written fails the request.

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::helpers::{Backend, TestApp, as_user, error_codes, stored_rows};

const KONGSBERG_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const DRAMMEN_READER: &str = "analytiker@drammen.kommune.no";
const NATIONAL_ADMIN: &str = "admin@varde.example";
const KONGSBERG_ARTS_SCHOOL: &str = "879819334";

const ARTS_SCHOOL_VALUES: &str = "query ArtsSchoolValues($org: String!) {
    unit(by: {orgNumber: $org}) { name values(first: 100) { edges { node { value } } } } }";

const AUDIT_LOG: &str = "query($owner: OwnerRef) {
    auditLog(owner: $owner, first: 100) { edges { node {
        actor kind operation fields owner { code } unit { orgNumber }
    } } } }";

const CREATE_INITIATIVE: &str = "mutation Plan { createInitiative(input: {
    of: {unit: {orgNumber: \"879819334\"}},
    content: {title: \"Mer samspill\", startDate: \"2026-01-05\"}}) { revision } }";

fn entries(body: &Value) -> Vec<Value> {
    body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("an audit log: {body:#}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Runs `sql` on the test app's database, around Varde.
async fn run_sql(app: &TestApp, sql: &'static str) {
    if app.database_url.starts_with("sqlite:") {
        let mut connection = SqliteConnection::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    } else {
        let mut connection = PgConnection::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }
}

async fn reads_of_restricted_data_and_mutations_are_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = json!({ "org": KONGSBERG_ARTS_SCHOOL });
    // Public values only: an anonymous caller's read leaves no record.
    let public = as_user(&app, None, ARTS_SCHOOL_VALUES, org.clone()).await;
    assert!(public.get("errors").is_none(), "{public:#}");
    let read = as_user(&app, Some(KONGSBERG_ADMIN), ARTS_SCHOOL_VALUES, org.clone()).await;
    assert!(read.get("errors").is_none(), "{read:#}");
    let planned = as_user(&app, Some(KONGSBERG_ADMIN), CREATE_INITIATIVE, json!({})).await;
    assert!(planned.get("errors").is_none(), "{planned:#}");

    let log = as_user(&app, Some(NATIONAL_ADMIN), AUDIT_LOG, json!({})).await;
    let entries = entries(&log);
    assert_eq!(
        entries,
        [
            json!({ "actor": KONGSBERG_ADMIN, "kind": "READ", "operation": "ArtsSchoolValues",
                "fields": ["unit"], "owner": { "code": "3303" },
                "unit": { "orgNumber": KONGSBERG_ARTS_SCHOOL } }),
            json!({ "actor": KONGSBERG_ADMIN, "kind": "MUTATION", "operation": "Plan",
                "fields": ["createInitiative"], "owner": { "code": "3303" }, "unit": null }),
        ],
        "{log:#}"
    );
    app.stop().await.unwrap();
}

async fn owner_admins_read_their_own_owners_audit_log_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = json!({ "org": KONGSBERG_ARTS_SCHOOL });
    as_user(&app, Some(KONGSBERG_ADMIN), ARTS_SCHOOL_VALUES, org).await;
    let drammen_arts_school = json!({ "org": "903208074" });
    as_user(
        &app,
        Some(DRAMMEN_READER),
        ARTS_SCHOOL_VALUES,
        drammen_arts_school,
    )
    .await;

    let own = as_user(
        &app,
        Some(KONGSBERG_ADMIN),
        AUDIT_LOG,
        json!({ "owner": { "code": "3303" } }),
    )
    .await;
    let own = entries(&own);
    assert!(!own.is_empty());
    assert!(own.iter().all(|entry| entry["owner"]["code"] == "3303"));

    let national = as_user(&app, Some(NATIONAL_ADMIN), AUDIT_LOG, json!({})).await;
    let actors: Vec<Value> = entries(&national)
        .into_iter()
        .map(|entry| entry["actor"].clone())
        .collect();
    assert!(actors.contains(&json!(KONGSBERG_ADMIN)) && actors.contains(&json!(DRAMMEN_READER)));

    for (user, owner, code) in [
        (
            Some(KONGSBERG_ADMIN),
            json!({ "code": "3301" }),
            "FORBIDDEN",
        ),
        (Some(KONGSBERG_ADMIN), Value::Null, "FORBIDDEN"),
        (Some(DRAMMEN_READER), json!({ "code": "3301" }), "FORBIDDEN"),
        (
            Some("analytiker@kulturskoleradet.no"),
            Value::Null,
            "FORBIDDEN",
        ),
        (None, Value::Null, "UNAUTHENTICATED"),
    ] {
        let body = as_user(&app, user, AUDIT_LOG, json!({ "owner": owner })).await;
        assert_eq!(error_codes(&body), [code], "{user:?} {owner}: {body:#}");
        assert_eq!(body["data"]["auditLog"], Value::Null);
    }
    app.stop().await.unwrap();
}

async fn a_request_whose_audit_record_cannot_be_written_fails_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    run_sql(&app, "ALTER TABLE audit_log RENAME TO audit_log_away").await;

    let org = json!({ "org": KONGSBERG_ARTS_SCHOOL });
    let read = as_user(&app, Some(KONGSBERG_ADMIN), ARTS_SCHOOL_VALUES, org.clone()).await;
    assert_eq!(error_codes(&read), ["INTERNAL"], "{read:#}");
    assert_eq!(read["data"], Value::Null, "no unrecorded restricted read");

    let initiatives = "SELECT COUNT(*) FROM initiatives";
    let before: Vec<(i64,)> = stored_rows(&app.database_url, initiatives).await;
    let planned = as_user(&app, Some(KONGSBERG_ADMIN), CREATE_INITIATIVE, json!({})).await;
    assert_eq!(error_codes(&planned), ["INTERNAL"], "{planned:#}");
    assert_eq!(planned["data"], Value::Null);
    let after: Vec<(i64,)> = stored_rows(&app.database_url, initiatives).await;
    assert_eq!(before, after, "the unrecorded mutation did not run");

    // Nothing restricted, nothing to record: public reads go on.
    let public = as_user(&app, None, ARTS_SCHOOL_VALUES, org.clone()).await;
    assert!(public.get("errors").is_none(), "{public:#}");

    run_sql(&app, "ALTER TABLE audit_log_away RENAME TO audit_log").await;
    let read = as_user(&app, Some(KONGSBERG_ADMIN), ARTS_SCHOOL_VALUES, org).await;
    assert!(read.get("errors").is_none(), "{read:#}");
    app.stop().await.unwrap();
}

async fn records_past_retention_are_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A record from 1970, far past any retention.
    run_sql(
        &app,
        "INSERT INTO audit_log (occurred_at, actor, kind, operation, fields) \
         VALUES (0, 'gammel@kongsberg.kommune.no', 'read', 'Old', 'unit')",
    )
    .await;
    let org = json!({ "org": KONGSBERG_ARTS_SCHOOL });
    as_user(&app, Some(KONGSBERG_ADMIN), ARTS_SCHOOL_VALUES, org).await;
    let actors: Vec<(String,)> =
        stored_rows(&app.database_url, "SELECT actor FROM audit_log ORDER BY id").await;
    assert_eq!(actors, [(KONGSBERG_ADMIN.to_owned(),)]);
    app.stop().await.unwrap();
}

crate::on_both_databases!(
    reads_of_restricted_data_and_mutations_are_recorded,
    owner_admins_read_their_own_owners_audit_log_only,
    a_request_whose_audit_record_cannot_be_written_fails_and_writes_nothing,
    records_past_retention_are_deleted,
);

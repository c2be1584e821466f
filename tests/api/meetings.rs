//! Prosessdesigner and lærende møter (issue 13): processes and meetings planned, example processes
//! copied, invitations sent through a real local SMTP server (aiosmtpd) and read back with a
//! calendar parser, updates and cancellations under one UID, snapshots that outlive an import and
//! are shown only to who could read them live, minutes whose decisions create initiatives in the
//! same write, and refusals that write nothing.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::{Value, json};
use varde::{
    domain::{Subject, ValueGroup},
    http,
    mail::{MailConfig, Mailer},
    store::{ImportRun, ImportValue},
};

use crate::helpers::{Backend, TestApp, as_user, error_codes, readme_heredoc_example, stored_rows};

crate::on_both_databases!(
    a_meeting_is_planned_sent_updated_and_cancelled_under_one_uid,
    an_example_process_is_copied_into_an_owners_own,
    a_snapshot_keeps_its_values_after_an_import_and_shows_only_what_the_reader_could_read_live,
    without_smtp_the_invitation_is_a_download,
    bad_input_is_refused_and_nothing_is_written,
    the_readme_meeting_examples_answer_as_shown,
    a_decision_creates_an_initiative_with_the_minutes_and_a_refusal_writes_neither,
    agenda_items_read_together_show_what_each_shows_alone,
);

const OWNER_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const SCHOOL_LEADER: &str = "rektor@kongsberg.kommune.no";
const ARTS_SCHOOL_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";
const DRAMMEN_READER: &str = "analytiker@drammen.kommune.no";
const DRAMMEN_STAFF: &str = "laerer.kulturskole@drammen.kommune.no";
const SOLVASEN: &str = "820819675";
const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");

/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const MEETING_FIELDS: &str = "id title status revision startsAt endsAt place
    participants { feideUserId staffOf { orgNumber } }
    agenda { title comment reflectionQuestions images { number contentType }
        data { kind indicators schoolYear { year } owner { name }
            live { columns rows { label cells { value suppressionReason } } }
            snapshot { columns rows { label cells { value } } }
            snapshotWithheld }
        criterion { unit { orgNumber } framework { code } criterion schoolYear { year } } }
    minutes { text decisions { text initiative { title } } }
    invitation { uid sequence method ics }";

const CREATE_PROCESS: &str = "mutation($input: CreateMeetingProcessInput!) {
    createMeetingProcess(input: $input) { id title isExample owner { name } unit { name }
        schoolYear { year } } }";

fn plan_mutation() -> String {
    format!(
        "mutation($input: PlanMeetingInput!) {{ planMeeting(input: $input) {{ {MEETING_FIELDS} }} }}"
    )
}

fn edit_mutation() -> String {
    format!(
        "mutation($input: EditMeetingInput!) {{ editMeeting(input: $input) {{ {MEETING_FIELDS} }} }}"
    )
}

fn send_mutation(name: &str) -> String {
    format!(
        "mutation($input: MeetingRevisionInput!) {{ {name}(input: $input) {{
            meeting {{ {MEETING_FIELDS} }} invitation {{ uid sequence method }}
            mail {{ sent recipients withoutAddress problem }} }} }}"
    )
}

fn meeting_query() -> String {
    format!("query($id: ID!) {{ meeting(id: $id) {{ {MEETING_FIELDS} }} }}")
}

const UPLOAD: &str = "mutation($input: UploadMeetingImageInput!) {
    uploadMeetingImage(input: $input) { number contentType size } }";

const SET_ADDRESS: &str = "mutation($email: String!) { setInvitationAddress(email: $email) }";

/// The content of the tests' meeting: a colour table of Kongsberg's schools and a criterion of
/// Kongsberg kulturskole's egenvurdering on the agenda, the kulturskole's staff invited.
fn content(place: &str, images: Value) -> Value {
    json!({
        "title": "Lærende møte: læringsmiljø",
        "startsAt": "2026-09-10T12:00:00Z",
        "endsAt": "2026-09-10T14:00:00Z",
        "place": place,
        "participants": [{"staffOf": {"orgNumber": KONGSBERG_ARTS_SCHOOL}}, {"person": DRAMMEN_STAFF}],
        "agenda": [
            {"title": "Fargetabell: Elevundersøkelsen",
             "comment": "Trivsel og mobbing på skolene.",
             "reflectionQuestions": ["Hva overrasker oss?"],
             "data": {"colourTable": {"owner": {"code": "3303"},
                                      "indicators": ["eu_trivsel", "eu_mobbing"], "schoolYear": 2025}},
             "images": images},
            {"title": "Egenvurdering 2.1",
             "criterion": {"unit": {"orgNumber": KONGSBERG_ARTS_SCHOOL},
                           "framework": {"code": "kulturskole"}, "criterion": "2.1", "schoolYear": 2025},
             "reflectionQuestions": ["Hvor står vi?", "Hva gjør vi videre?"]}
        ]
    })
}

/// Runs `query` as `user` and returns `data`, failing on any error.
async fn ok(app: &TestApp, user: &str, query: &str, variables: Value) -> Value {
    let body = as_user(app, Some(user), query, variables).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

/// A Kongsberg process for 2025-26 and a planned meeting in it (with an image); answers the
/// meeting.
async fn planned_meeting(app: &TestApp) -> Value {
    let process = ok(
        app,
        OWNER_ADMIN,
        CREATE_PROCESS,
        json!({"input": {"of": {"owner": {"code": "3303"}}, "schoolYear": 2025,
                         "title": "PULS-prosesser Kongsberg kommune (25-26)"}}),
    )
    .await;
    let process = &process["createMeetingProcess"];
    assert_eq!(process["owner"]["name"], "Kongsberg kommune");
    assert_eq!(process["isExample"], false);
    let planned = ok(
        app,
        OWNER_ADMIN,
        &plan_mutation(),
        json!({"input": {"process": process["id"], "content": content("Rådhuset", json!([]))}}),
    )
    .await;
    let meeting = planned["planMeeting"].clone();
    let image = ok(
        app,
        OWNER_ADMIN,
        UPLOAD,
        json!({"input": {"meeting": meeting["id"], "base64": PNG}}),
    )
    .await;
    assert_eq!(
        image["uploadMeetingImage"],
        json!({"number": 1, "contentType": "image/png", "size": 70})
    );
    let edited = ok(
        app,
        OWNER_ADMIN,
        &edit_mutation(),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"],
                         "content": content("Rådhuset", json!([1]))}}),
    )
    .await;
    edited["editMeeting"].clone()
}

/// A local SMTP server (aiosmtpd, from tests/clients/.venv) writing what arrives into a maildir.
struct SmtpSink {
    child: tokio::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    async fn start() -> Self {
        let maildir = tempfile::tempdir().unwrap();
        // A free port in the range these tests' servers use.
        let port = (29200..29300)
            .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
            .expect("a free port in 29200-29299");
        let child = tokio::process::Command::new(format!("{CLIENTS}/.venv/bin/python"))
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("tests/clients/.venv has aiosmtpd (tests/run.sh installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    child,
                    port,
                    maildir,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every mail that arrived, its calendar part parsed by Python's icalendar package.
    async fn mails(&self) -> Vec<Value> {
        let output = tokio::process::Command::new(format!("{CLIENTS}/.venv/bin/python"))
            .arg(Path::new(CLIENTS).join("read_invitations.py"))
            .arg(self.maildir.path().join("mail"))
            .output()
            .await
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn app_with_mail(backend: Backend, sink: &SmtpSink) -> TestApp {
    let mailer = Mailer::new(&MailConfig {
        relay: format!("127.0.0.1:{}", sink.port),
        from: "varde@kongsberg.kommune.no".into(),
    })
    .unwrap();
    TestApp::spawn_with(
        backend,
        http::HttpConfig {
            mailer: Some(mailer),
            ..http::HttpConfig::default()
        },
    )
    .await
}

/// The invitation's event parsed with the `icalendar` crate's parser: (UID, SEQUENCE, METHOD).
fn parsed_ics(ics: &str) -> (String, String, String) {
    let calendar: icalendar::Calendar = ics.parse().expect("the .ics parses");
    let method = calendar
        .property_value("METHOD")
        .expect("METHOD")
        .to_owned();
    let event = calendar
        .components
        .iter()
        .find_map(|component| component.as_event())
        .expect("a VEVENT");
    use icalendar::Component;
    (
        event.get_uid().expect("UID").to_owned(),
        event.get_sequence().expect("SEQUENCE").to_string(),
        method,
    )
}

async fn a_meeting_is_planned_sent_updated_and_cancelled_under_one_uid(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(backend, &sink).await;
    for (user, email) in [
        (ARTS_SCHOOL_LEADER, "leder.kulturskole@example.no"),
        (DRAMMEN_STAFF, "laerer@example.no"),
    ] {
        ok(&app, user, SET_ADDRESS, json!({"email": email})).await;
    }
    let meeting = planned_meeting(&app).await;
    assert_eq!(meeting["status"], "PLANNED");
    assert_eq!(
        meeting["agenda"][0]["images"][0]["contentType"],
        "image/png"
    );
    assert_eq!(meeting["agenda"][0]["data"]["kind"], "COLOUR_TABLE");
    assert_eq!(meeting["agenda"][0]["data"]["snapshot"], Value::Null);
    assert_eq!(
        meeting["agenda"][1]["criterion"],
        json!({"unit": {"orgNumber": KONGSBERG_ARTS_SCHOOL}, "framework": {"code": "kulturskole"},
               "criterion": "2.1", "schoolYear": {"year": 2025}})
    );

    // Sent: the mail arrives with a REQUEST under the meeting's UID, SEQUENCE 0.
    let sent = ok(
        &app,
        OWNER_ADMIN,
        &send_mutation("sendMeeting"),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"]}}),
    )
    .await;
    let sent = &sent["sendMeeting"];
    assert_eq!(
        sent["mail"],
        json!({"sent": true, "recipients": ["laerer@example.no", "leder.kulturskole@example.no"],
               "withoutAddress": [], "problem": null})
    );
    let uid = sent["invitation"]["uid"].as_str().unwrap().to_owned();
    assert_eq!(sent["invitation"]["sequence"], 0);
    assert_eq!(sent["meeting"]["status"], "SENT");
    let frozen = &sent["meeting"]["agenda"][0]["data"]["snapshot"];
    assert!(frozen["rows"].as_array().unwrap().len() > 2, "{frozen:#}");

    // Updated and sent again: the same UID, SEQUENCE 1.
    let edited = ok(
        &app,
        OWNER_ADMIN,
        &edit_mutation(),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": sent["meeting"]["revision"],
                         "content": content("Kongsberg kulturskole, sal 2", json!([1]))}}),
    )
    .await;
    let resent = ok(
        &app,
        OWNER_ADMIN,
        &send_mutation("sendMeeting"),
        json!({"input": {"meeting": meeting["id"],
                         "expectedRevision": edited["editMeeting"]["revision"]}}),
    )
    .await;
    assert_eq!(resent["sendMeeting"]["invitation"]["uid"], uid.as_str());
    assert_eq!(resent["sendMeeting"]["invitation"]["sequence"], 1);

    // Cancelled: METHOD:CANCEL, the same UID, SEQUENCE 2.
    let cancelled = ok(
        &app,
        OWNER_ADMIN,
        &send_mutation("cancelMeeting"),
        json!({"input": {"meeting": meeting["id"],
                         "expectedRevision": resent["sendMeeting"]["meeting"]["revision"]}}),
    )
    .await;
    let cancelled = &cancelled["cancelMeeting"];
    assert_eq!(cancelled["meeting"]["status"], "CANCELLED");
    assert_eq!(
        cancelled["invitation"],
        json!({"uid": uid, "sequence": 2, "method": "CANCEL"})
    );
    let (parsed_uid, sequence, method) =
        parsed_ics(cancelled["meeting"]["invitation"]["ics"].as_str().unwrap());
    assert_eq!(
        (parsed_uid.as_str(), sequence.as_str(), method.as_str()),
        (uid.as_str(), "2", "CANCEL")
    );

    // What arrived, parsed by a calendar parser: three mails for one calendar entry.
    let mails = sink.mails().await;
    assert_eq!(mails.len(), 3, "{mails:#?}");
    let seen: Vec<(String, i64, String, String)> = mails
        .iter()
        .map(|mail| {
            let event = &mail["events"][0];
            (
                event["uid"].as_str().unwrap().to_owned(),
                event["sequence"].as_i64().unwrap(),
                mail["method"].as_str().unwrap().to_owned(),
                event["location"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (uid.clone(), 0, "REQUEST".into(), "Rådhuset".into()),
            (
                uid.clone(),
                1,
                "REQUEST".into(),
                "Kongsberg kulturskole, sal 2".into()
            ),
            (
                uid.clone(),
                2,
                "CANCEL".into(),
                "Kongsberg kulturskole, sal 2".into()
            ),
        ]
    );
    let first = &mails[0];
    assert_eq!(first["events"][0]["start"], "2026-09-10T12:00:00+00:00");
    assert_eq!(first["events"][0]["summary"], "Lærende møte: læringsmiljø");
    assert_eq!(
        first["events"][0]["attendees"],
        json!([
            "mailto:laerer@example.no",
            "mailto:leder.kulturskole@example.no"
        ])
    );
    assert_eq!(mails[2]["events"][0]["status"], "CANCELLED");
    assert!(
        first["to"]
            .to_string()
            .contains("leder.kulturskole@example.no")
    );

    // A cancelled meeting is kept as it was.
    let again = as_user(
        &app,
        Some(OWNER_ADMIN),
        &send_mutation("sendMeeting"),
        json!({"input": {"meeting": meeting["id"],
                         "expectedRevision": cancelled["meeting"]["revision"]}}),
    )
    .await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"], "{again:#}");
}

const PROCESSES: &str = "query($filter: MeetingProcessFilterInput) {
    meetingProcesses(filter: $filter, first: 5) { edges { node { id title isExample copiedFrom
        owner { name } unit { name } schoolYear { year }
        meetings(first: 5) { edges { node { title status startsAt participants { feideUserId }
            agenda { title reflectionQuestions } } } } } } } }";

const COPY: &str = "mutation($input: CopyMeetingProcessInput!) {
    copyMeetingProcess(input: $input) { id title copiedFrom owner { name } unit { name }
        schoolYear { year } meetings(first: 5) { edges { node { id title status startsAt
            agenda { title reflectionQuestions } } } } } }";

async fn an_example_process_is_copied_into_an_owners_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Anyone reads the national examples.
    let examples = as_user(&app, None, PROCESSES, json!({"filter": {"examples": true}})).await;
    let example = examples["data"]["meetingProcesses"]["edges"][0]["node"].clone();
    assert_eq!(example["isExample"], true, "{examples:#}");
    let example_meetings = example["meetings"]["edges"].as_array().unwrap().clone();
    assert_eq!(example_meetings.len(), 3);

    let copied = ok(
        &app,
        OWNER_ADMIN,
        COPY,
        json!({"input": {"example": example["id"], "of": {"owner": {"code": "3303"}},
                         "schoolYear": 2025}}),
    )
    .await;
    let copy = &copied["copyMeetingProcess"];
    assert_eq!(copy["copiedFrom"], example["id"]);
    assert_eq!(copy["owner"]["name"], "Kongsberg kommune");
    assert_eq!(copy["schoolYear"]["year"], 2025);
    assert_eq!(copy["title"], example["title"]);
    let meetings = copy["meetings"]["edges"].as_array().unwrap();
    assert_eq!(meetings.len(), 3);
    for (copied, original) in meetings.iter().zip(&example_meetings) {
        assert_eq!(copied["node"]["title"], original["node"]["title"]);
        assert_eq!(copied["node"]["agenda"], original["node"]["agenda"]);
        assert_eq!(copied["node"]["status"], "PLANNED");
        assert_eq!(copied["node"]["startsAt"], Value::Null);
    }

    // The copy is the owner's: its planners list it, others do not see it.
    let own = ok(
        &app,
        OWNER_ADMIN,
        PROCESSES,
        json!({"filter": {"examples": false}}),
    )
    .await;
    assert_eq!(
        own["meetingProcesses"]["edges"].as_array().unwrap().len(),
        1
    );
    let drammen = ok(
        &app,
        DRAMMEN_READER,
        PROCESSES,
        json!({"filter": {"examples": false}}),
    )
    .await;
    assert_eq!(drammen["meetingProcesses"]["edges"], json!([]));

    // A unit leader copies for the unit, not for the owner; another owner's reader not at all.
    let for_unit = ok(
        &app,
        SCHOOL_LEADER,
        COPY,
        json!({"input": {"example": example["id"], "of": {"unit": {"orgNumber": SOLVASEN}},
                         "schoolYear": 2025}}),
    )
    .await;
    assert_eq!(
        for_unit["copyMeetingProcess"]["unit"]["name"],
        "Sølvåsen skole"
    );
    for (user, of) in [
        (SCHOOL_LEADER, json!({"owner": {"code": "3303"}})),
        (DRAMMEN_READER, json!({"owner": {"code": "3303"}})),
    ] {
        let refused = as_user(
            &app,
            Some(user),
            COPY,
            json!({"input": {"example": example["id"], "of": of, "schoolYear": 2025}}),
        )
        .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{user}: {refused:#}");
    }
    // Only examples are copied.
    let not_example = as_user(
        &app,
        Some(OWNER_ADMIN),
        COPY,
        json!({"input": {"example": copy["id"], "of": {"owner": {"code": "3303"}},
                         "schoolYear": 2025}}),
    )
    .await;
    assert_eq!(error_codes(&not_example), ["NOT_FOUND"]);
}

/// The cell of `row` (by label) and `column` (by indicator code) of a figure table.
fn cell<'a>(table: &'a Value, row: &str, column: &str) -> &'a Value {
    let at = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == column)
        .unwrap();
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == row)
        .unwrap_or_else(|| panic!("no row {row} in {table:#}"));
    &row["cells"][at]
}

async fn a_snapshot_keeps_its_values_after_an_import_and_shows_only_what_the_reader_could_read_live(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let meeting = planned_meeting(&app).await;
    // A second item with restricted (local survey) data: Kongsberg kulturskole's pupil survey.
    let mut with_restricted = content("Rådhuset", json!([1]));
    with_restricted["agenda"]
        .as_array_mut()
        .unwrap()
        .push(json!({"title": "Kulturskolens elevundersøkelse",
                     "data": {"keyFigures": {"owner": {"code": "3303"}, "indicators": ["ke_trivsel"],
                                             "schoolYear": 2025}}}));
    let edited = ok(
        &app,
        OWNER_ADMIN,
        &edit_mutation(),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"],
                         "content": with_restricted}}),
    )
    .await;
    let sent = ok(
        &app,
        OWNER_ADMIN,
        &send_mutation("sendMeeting"),
        json!({"input": {"meeting": meeting["id"],
                         "expectedRevision": edited["editMeeting"]["revision"]}}),
    )
    .await;
    let sent = &sent["sendMeeting"];
    assert_eq!(sent["mail"]["sent"], false);
    let frozen = sent["meeting"]["agenda"][0]["data"]["snapshot"].clone();
    let before = cell(&frozen, "Sølvåsen skole", "eu_trivsel")["value"].clone();
    assert!(before.is_f64(), "{frozen:#}");
    let restricted = &sent["meeting"]["agenda"][2]["data"]["snapshot"];
    assert!(
        cell(restricted, "Kongsberg kommune", "ke_trivsel")["value"].is_f64(),
        "{restricted:#}"
    );

    // New data is imported: Sølvåsen's Trivsel for 2025-26 becomes 2.5.
    let targets = app.store.import_targets().await.unwrap();
    let source = app
        .store
        .import_source(&app.store.import_source_names().await.unwrap()[0])
        .await
        .unwrap()
        .unwrap();
    let run = ImportRun {
        source: source.id,
        file_name: "ny.csv".into(),
        checksum: "0".repeat(64),
        imported_by: "test".into(),
        imported_at: chrono::Utc::now(),
    };
    let value = ImportValue {
        indicator: targets.indicators["eu_trivsel"],
        subject: Subject::Unit(targets.units[&varde::domain::OrgNumber::parse(SOLVASEN).unwrap()]),
        school_year: varde::domain::SchoolYear::new(2025).unwrap(),
        group: ValueGroup::ALL,
        value: Some(2.5),
        respondents: Some(120),
        suppressed: false,
    };
    app.store
        .apply_import(&run, vec![value], false)
        .await
        .unwrap();

    // The invited kulturskole leader reads the meeting: live shows the import, the snapshot
    // keeps what was sent.
    let read = ok(
        &app,
        ARTS_SCHOOL_LEADER,
        &meeting_query(),
        json!({"id": meeting["id"]}),
    )
    .await;
    let data = &read["meeting"]["agenda"][0]["data"];
    assert_eq!(
        cell(&data["live"], "Sølvåsen skole", "eu_trivsel")["value"],
        2.5
    );
    assert_eq!(
        cell(&data["snapshot"], "Sølvåsen skole", "eu_trivsel")["value"],
        before
    );
    assert_eq!(data["snapshotWithheld"], false);

    // Drammen's teacher is invited too, but may not read Kongsberg's local survey live: the
    // snapshot of that item is withheld; the public colour table is shown.
    let drammen = ok(
        &app,
        DRAMMEN_STAFF,
        &meeting_query(),
        json!({"id": meeting["id"]}),
    )
    .await;
    let restricted = &drammen["meeting"]["agenda"][2]["data"];
    assert_eq!(restricted["snapshot"], Value::Null, "{restricted:#}");
    assert_eq!(restricted["snapshotWithheld"], true);
    assert_eq!(
        cell(&restricted["live"], "Kongsberg kommune", "ke_trivsel")["suppressionReason"],
        "NOT_PERMITTED"
    );
    assert_eq!(
        cell(
            &drammen["meeting"]["agenda"][0]["data"]["snapshot"],
            "Sølvåsen skole",
            "eu_trivsel"
        )["value"],
        before
    );

    // Who is neither invited nor a planner does not see the meeting at all.
    for user in [SCHOOL_LEADER, DRAMMEN_READER] {
        let hidden = ok(&app, user, &meeting_query(), json!({"id": meeting["id"]})).await;
        assert_eq!(hidden["meeting"], Value::Null, "{user}");
    }
    let anonymous = as_user(&app, None, &meeting_query(), json!({"id": meeting["id"]})).await;
    assert_eq!(anonymous["data"]["meeting"], Value::Null);
}

async fn without_smtp_the_invitation_is_a_download(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let meeting = planned_meeting(&app).await;
    let sent = ok(
        &app,
        OWNER_ADMIN,
        &send_mutation("sendMeeting"),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"]}}),
    )
    .await;
    let sent = &sent["sendMeeting"];
    assert_eq!(sent["mail"]["sent"], false);
    assert!(
        sent["mail"]["problem"]
            .as_str()
            .unwrap()
            .contains("no SMTP relay"),
        "{sent:#}"
    );
    // Nobody invited gave an address: the kulturskole's staff and Drammen's teacher are listed.
    assert_eq!(
        sent["mail"]["withoutAddress"],
        json!([DRAMMEN_STAFF, ARTS_SCHOOL_LEADER])
    );
    let ics = sent["meeting"]["invitation"]["ics"].as_str().unwrap();
    let (uid, sequence, method) = parsed_ics(ics);
    assert_eq!(uid, sent["invitation"]["uid"].as_str().unwrap());
    assert_eq!((sequence.as_str(), method.as_str()), ("0", "REQUEST"));
    assert!(ics.contains("SUMMARY:Lærende møte: læringsmiljø"));

    // Minutes with a decision linked to an initiative of the owner.
    let initiative = ok(
        &app,
        OWNER_ADMIN,
        "mutation { createInitiative(input: {of: {owner: {code: \"3303\"}}, content: {
            title: \"Trygge friminutt i hele kommunen\", startDate: \"2026-09-15\"}}) { id } }",
        json!({}),
    )
    .await;
    let minutes = ok(
        &app,
        OWNER_ADMIN,
        &format!(
            "mutation($input: RecordMinutesInput!) {{ recordMinutes(input: $input) {{ {MEETING_FIELDS} }} }}"
        ),
        json!({"input": {"meeting": meeting["id"], "expectedRevision": sent["meeting"]["revision"],
                         "text": "Godt møte.",
                         "decisions": [{"text": "Vi innfører friminuttsverter.",
                                        "initiative": initiative["createInitiative"]["id"]},
                                       {"text": "Neste møte i november."}]}}),
    )
    .await;
    assert_eq!(
        minutes["recordMinutes"]["minutes"],
        json!({"text": "Godt møte.", "decisions": [
            {"text": "Vi innfører friminuttsverter.",
             "initiative": {"title": "Trygge friminutt i hele kommunen"}},
            {"text": "Neste møte i november.", "initiative": null}]})
    );
}

/// Rows of the meeting tables, to show that a refusal wrote nothing.
async fn meeting_rows(app: &TestApp) -> Vec<(i64, i64, i64, i64)> {
    stored_rows(
        &app.database_url,
        "SELECT (SELECT COUNT(*) FROM meeting_processes), (SELECT COUNT(*) FROM meetings), \
         (SELECT COUNT(*) FROM meeting_images), \
         (SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM meetings)",
    )
    .await
}

async fn bad_input_is_refused_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let meeting = planned_meeting(&app).await;
    let before = meeting_rows(&app).await;
    let process = ok(
        &app,
        OWNER_ADMIN,
        PROCESSES,
        json!({"filter": {"examples": false}}),
    )
    .await["meetingProcesses"]["edges"][0]["node"]["id"]
        .clone();

    let mut ends_before = content("Rådhuset", json!([]));
    ends_before["endsAt"] = json!("2026-09-10T11:00:00Z");
    let mut stranger = content("Rådhuset", json!([]));
    stranger["participants"] = json!([{"person": "ukjent@example.no"}]);
    let mut no_such_image = content("Rådhuset", json!([7]));
    no_such_image["title"] = json!("Med bilde");
    let mut unknown_indicator = content("Rådhuset", json!([]));
    unknown_indicator["agenda"][0]["data"]["colourTable"]["indicators"] = json!(["finnes_ikke"]);
    for (name, user, query, variables, code) in [
        (
            "ends before it starts",
            OWNER_ADMIN,
            plan_mutation(),
            json!({"input": {"process": process, "content": ends_before}}),
            "BAD_USER_INPUT",
        ),
        (
            "a participant who does not exist",
            OWNER_ADMIN,
            plan_mutation(),
            json!({"input": {"process": process, "content": stranger}}),
            "BAD_USER_INPUT",
        ),
        (
            "an unknown indicator",
            OWNER_ADMIN,
            plan_mutation(),
            json!({"input": {"process": process, "content": unknown_indicator}}),
            "BAD_USER_INPUT",
        ),
        (
            "an image the meeting does not have",
            OWNER_ADMIN,
            edit_mutation(),
            json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"],
                          "content": no_such_image}}),
            "BAD_USER_INPUT",
        ),
        (
            "a stale revision",
            OWNER_ADMIN,
            edit_mutation(),
            json!({"input": {"meeting": meeting["id"], "expectedRevision": 1,
                          "content": content("Et annet sted", json!([]))}}),
            "CONFLICT",
        ),
        (
            "an image that is not an image",
            OWNER_ADMIN,
            UPLOAD.to_owned(),
            json!({"input": {"meeting": meeting["id"], "base64": "PHN2ZyB4bWxucz0iIj48L3N2Zz4="}}),
            "BAD_USER_INPUT",
        ),
        (
            "not base64",
            OWNER_ADMIN,
            UPLOAD.to_owned(),
            json!({"input": {"meeting": meeting["id"], "base64": "!!"}}),
            "BAD_USER_INPUT",
        ),
        (
            "a school leader planning in the owner's process",
            SCHOOL_LEADER,
            plan_mutation(),
            json!({"input": {"process": process, "content": content("Rådhuset", json!([]))}}),
            "FORBIDDEN",
        ),
        (
            "an invited participant sending",
            ARTS_SCHOOL_LEADER,
            send_mutation("sendMeeting"),
            json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"]}}),
            "FORBIDDEN",
        ),
        (
            "another owner's reader",
            DRAMMEN_READER,
            CREATE_PROCESS.to_owned(),
            json!({"input": {"of": {"owner": {"code": "3303"}}, "schoolYear": 2025, "title": "X"}}),
            "FORBIDDEN",
        ),
        (
            "an example by an owner admin",
            OWNER_ADMIN,
            CREATE_PROCESS.to_owned(),
            json!({"input": {"title": "Eksempel"}}),
            "FORBIDDEN",
        ),
    ] {
        let refused = as_user(&app, Some(user), &query, variables).await;
        assert_eq!(error_codes(&refused), [code], "{name}: {refused:#}");
        assert_eq!(meeting_rows(&app).await, before, "{name} wrote nothing");
    }
    // A big image is refused by its size.
    let big = format!("iVBORw0KGgo{}", "A".repeat(240_000));
    let refused = as_user(
        &app,
        Some(OWNER_ADMIN),
        UPLOAD,
        json!({"input": {"meeting": meeting["id"], "base64": big}}),
    )
    .await;
    assert!(!error_codes(&refused).is_empty(), "{refused:#}");
    let anonymous = as_user(
        &app,
        None,
        CREATE_PROCESS,
        json!({"input": {"of": {"owner": {"code": "3303"}}, "schoolYear": 2025, "title": "X"}}),
    )
    .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    assert_eq!(meeting_rows(&app).await, before);
}

async fn the_readme_meeting_examples_answer_as_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for marker in [
        "# as radgiver@kongsberg.kommune.no (planning a process)",
        "# as radgiver@kongsberg.kommune.no (planning a meeting)",
        "# as radgiver@kongsberg.kommune.no (sending it)",
        "# as radgiver@kongsberg.kommune.no (recording the minutes)",
    ] {
        let (request, expected) = readme_heredoc_example(marker);
        let answered = as_user(
            &app,
            Some(OWNER_ADMIN),
            request["query"].as_str().unwrap(),
            json!({}),
        )
        .await;
        assert_eq!(answered, expected, "{marker}");
    }
}

/// Rows that recording minutes writes: initiatives, their history rows, and the meetings'
/// revisions.
async fn minutes_rows(app: &TestApp) -> Vec<(i64, i64, i64)> {
    stored_rows(
        &app.database_url,
        "SELECT (SELECT COUNT(*) FROM initiatives), (SELECT COUNT(*) FROM initiative_changes), \
         (SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM meetings)",
    )
    .await
}

const RECORD_MINUTES: &str =
    "mutation($input: RecordMinutesInput!) { recordMinutes(input: $input) {
    revision minutes { text decisions { text initiative { title status revision unit { name }
        owner { name } history(first: 5) { edges { node { revision changedBy } } } } } } } }";

async fn a_decision_creates_an_initiative_with_the_minutes_and_a_refusal_writes_neither(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let meeting = planned_meeting(&app).await;
    let new_initiative = json!({"title": "Friminuttsverter", "startDate": "2026-09-15",
                                "situationToday": "Mobbing i friminuttene.",
                                "indicators": ["eu_mobbing"], "schoolYears": [2026]});
    let existing = ok(
        &app,
        OWNER_ADMIN,
        "mutation { createInitiative(input: {of: {owner: {code: \"3303\"}}, content: {
            title: \"Trygge friminutt\", startDate: \"2026-09-15\"}}) { id } }",
        json!({}),
    )
    .await["createInitiative"]["id"]
        .clone();
    let before = minutes_rows(&app).await;
    let minutes = |decisions: Value, revision: &Value| {
        json!({"input": {"meeting": meeting["id"], "expectedRevision": revision,
                         "text": "Godt møte.", "decisions": decisions}})
    };
    let mut ends_before_it_starts = new_initiative.clone();
    ends_before_it_starts["endDate"] = json!("2026-01-01");
    let mut unknown_indicator = new_initiative.clone();
    unknown_indicator["indicators"] = json!(["finnes_ikke"]);
    let revision = &meeting["revision"];
    for (name, decisions, revision, code) in [
        (
            "both an initiative and a new one",
            json!([{"text": "Vedtak.", "initiative": existing, "newInitiative": new_initiative}]),
            revision.clone(),
            "BAD_USER_INPUT",
        ),
        (
            "a new initiative that ends before it starts",
            json!([{"text": "Vedtak.", "newInitiative": ends_before_it_starts}]),
            revision.clone(),
            "BAD_USER_INPUT",
        ),
        (
            "a new initiative with an unknown indicator",
            json!([{"text": "Vedtak.", "newInitiative": unknown_indicator}]),
            revision.clone(),
            "BAD_USER_INPUT",
        ),
        (
            "a good new initiative beside a decision without text",
            json!([{"text": "Vedtak.", "newInitiative": new_initiative},
                   {"text": "  "}]),
            revision.clone(),
            "BAD_USER_INPUT",
        ),
        (
            "a good new initiative on a stale revision",
            json!([{"text": "Vedtak.", "newInitiative": new_initiative}]),
            json!(1),
            "CONFLICT",
        ),
    ] {
        let refused = as_user(
            &app,
            Some(OWNER_ADMIN),
            RECORD_MINUTES,
            minutes(decisions, &revision),
        )
        .await;
        assert_eq!(error_codes(&refused), [code], "{name}: {refused:#}");
        assert_eq!(minutes_rows(&app).await, before, "{name} wrote nothing");
    }

    // A decision of an example process makes no initiative: it has no skoleeier.
    let example = ok(
        &app,
        "admin@varde.example",
        "{ meetingProcesses(filter: {examples: true}, first: 1) { edges { node {
            meetings(first: 1) { edges { node { id revision } } } } } } }",
        json!({}),
    )
    .await["meetingProcesses"]["edges"][0]["node"]["meetings"]["edges"][0]["node"]
        .clone();
    let refused = as_user(
        &app,
        Some("admin@varde.example"),
        RECORD_MINUTES,
        json!({"input": {"meeting": example["id"], "expectedRevision": example["revision"],
                         "decisions": [{"text": "Vedtak.", "newInitiative": new_initiative}]}}),
    )
    .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused:#}");
    assert_eq!(
        minutes_rows(&app).await,
        before,
        "an example's decision wrote nothing"
    );

    let recorded = ok(
        &app,
        OWNER_ADMIN,
        RECORD_MINUTES,
        minutes(
            json!([{"text": "Vi innfører friminuttsverter.", "newInitiative": new_initiative},
                   {"text": "Vi fortsetter med trygge friminutt.", "initiative": existing},
                   {"text": "Neste møte i november."}]),
            revision,
        ),
    )
    .await;

    let decisions = &recorded["recordMinutes"]["minutes"]["decisions"];
    assert_eq!(
        decisions[0]["initiative"],
        json!({"title": "Friminuttsverter", "status": "PLANNED", "revision": 1, "unit": null,
               "owner": {"name": "Kongsberg kommune"},
               "history": {"edges": [{"node": {"revision": 1, "changedBy": OWNER_ADMIN}}]}}),
        "the process's skoleeier's new initiative, with its first history row"
    );
    assert_eq!(decisions[1]["initiative"]["title"], "Trygge friminutt");
    assert_eq!(decisions[2]["initiative"], Value::Null);
    let (initiatives, changes, revisions) = before[0];
    assert_eq!(
        minutes_rows(&app).await,
        [(initiatives + 1, changes + 1, revisions + 1)],
        "one initiative, its history row and the meeting's next revision"
    );
    // The new initiative is the owner's like any other.
    let listed = ok(
        &app,
        OWNER_ADMIN,
        "{ owner(by: {code: \"3303\"}) { initiatives(first: 10) { edges { node { title
            situationToday indicators { code } } } } } }",
        json!({}),
    )
    .await;
    assert!(
        listed["owner"]["initiatives"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|edge| edge["node"]
                == json!({"title": "Friminuttsverter", "situationToday": "Mobbing i friminuttene.",
                          "indicators": [{"code": "eu_mobbing"}]})),
        "{listed:#}"
    );
}

/// Every agenda item's data of a request is computed in one analysis: each item shows exactly
/// what it shows read alone (a meeting of that item only), to the planner and to an invited
/// kulturskole leader, who may read less.
async fn agenda_items_read_together_show_what_each_shows_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let process = ok(
        &app,
        OWNER_ADMIN,
        CREATE_PROCESS,
        json!({"input": {"of": {"owner": {"code": "3303"}}, "schoolYear": 2025, "title": "Data"}}),
    )
    .await["createMeetingProcess"]["id"]
        .clone();
    let items = [
        json!({"title": "Fargetabell", "data": {"colourTable": {"owner": {"code": "3303"},
               "indicators": ["eu_trivsel", "eu_mobbing", "ke_trivsel"], "schoolYear": 2025}}}),
        json!({"title": "Nøkkeltall", "data": {"keyFigures": {"owner": {"code": "3303"},
               "indicators": ["eu_trivsel", "np_lesing_5", "ke_trivsel"], "schoolYear": 2024}}}),
        json!({"title": "Trend", "data": {"trend": {"indicator": "eu_mobbing",
               "owner": {"code": "3303"}}}}),
        json!({"title": "Kulturskolen", "data": {"trend": {"indicator": "ke_trivsel",
               "unit": {"orgNumber": KONGSBERG_ARTS_SCHOOL}}}}),
    ];
    let plan = async |agenda: Value| -> Value {
        ok(
            &app,
            OWNER_ADMIN,
            "mutation($input: PlanMeetingInput!) { planMeeting(input: $input) { id } }",
            json!({"input": {"process": process, "content": {"title": "Møte",
                   "participants": [{"staffOf": {"orgNumber": KONGSBERG_ARTS_SCHOOL}}],
                   "agenda": agenda}}}),
        )
        .await["planMeeting"]["id"]
            .clone()
    };
    let together = plan(json!(items)).await;
    let mut alone = Vec::new();
    for item in &items {
        alone.push(plan(json!([item])).await);
    }
    let live = "query($id: ID!) { meeting(id: $id) { agenda { data {
        live { columns rows { key label cells { value n suppressed suppressionReason colour } } } } } } }";
    for reader in [OWNER_ADMIN, ARTS_SCHOOL_LEADER] {
        let read = ok(&app, reader, live, json!({"id": together})).await;
        for (index, meeting) in alone.iter().enumerate() {
            let single = ok(&app, reader, live, json!({"id": meeting})).await;
            let shown = &read["meeting"]["agenda"][index]["data"]["live"];
            assert!(
                shown["rows"]
                    .as_array()
                    .is_some_and(|rows| !rows.is_empty()),
                "{reader}: item {index} has figures: {read:#}"
            );
            assert_eq!(
                shown, &single["meeting"]["agenda"][0]["data"]["live"],
                "{reader}: item {index} read with the others and alone"
            );
        }
    }
}

//! Tenant isolation, default deny: restricted data (local surveys) is readable only inside the
//! caller's scope, anonymous callers see public data only, and roles are granted only within
//! scope. Every field of the schema must have an access rule here, so a new field cannot be
//! added without deciding who may read it.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use varde::{
    auth::{Auth, AuthConfig},
    domain::{OwnerCode, Role},
    http::HttpConfig,
};

use crate::helpers::{Backend, TestApp, error_codes, seed_rows, send_query};

crate::on_both_databases!(
    every_field_has_an_access_rule,
    anonymous_callers_see_only_public_values,
    owner_and_unit_roles_see_their_own_restricted_values_only,
    national_readers_get_no_unit_level_restricted_values,
    a_bi_client_with_a_bearer_token_reads_its_owners_data_and_nothing_else,
    roles_are_granted_only_within_scope,
    the_demo_login_is_off_unless_enabled,
    analyses_hide_another_owners_restricted_data,
);

/// Who may read a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Catalogue and structure: public for everyone (owners, units, indicators, sources,
    /// selections and their metadata).
    Public,
    /// Indicator values: public sources for everyone, restricted sources filtered by the
    /// caller's scope in the store (`ValueFilter::restricted`), tested below.
    ScopedValues,
    /// Aggregates, colour tables, trends and key figures: unit cells follow the value rule,
    /// aggregates of restricted sources go to national roles and the owner's own roles only
    /// (`RestrictedScope::may_read_unit` / `may_read_aggregate`), tested below.
    ScopedAnalysis,
    /// The caller itself (`me`).
    Caller,
    /// Role changes: `Grants::may_grant`, tested below.
    RoleChange,
    /// Kvalitetsbeskrivelser: published and retired ones public, drafts only to those who may
    /// edit them (`Grants::may_edit_framework`), tested in `quality.rs`.
    FrameworkText,
    /// Egenvurderinger with their history and votes: the unit's and its owner's roles only, in
    /// the store (`ScopedReader::assessments_of_units`); national roles never, tested in
    /// `quality.rs`.
    Assessments,
    /// Level distributions, and counts per level (of units or of votes, under the field holding
    /// them): owner roles their own owner's, national roles every owner's and the nation's through
    /// `domain::disclosure`, tested in `quality.rs`.
    Distribution,
    /// Framework edits (`may_edit_framework`), assessments (`may_assess`) and votes
    /// (`may_vote`), tested in `quality.rs`.
    QualityChange,
    /// Tiltak with their texts, links, snapshots, targets and evaluations: a unit's read by the
    /// unit's and its owner's roles, an owner's own also by the roles of its units, in the store
    /// (`ScopedReader::initiatives_of_units` and the others); national roles never, tested in
    /// `initiatives.rs`.
    Initiatives,
    /// An initiative's change history: the owner's admins only
    /// (`Grants::may_read_initiative_history`), tested in `initiatives.rs`.
    InitiativeHistory,
    /// Initiative writes: unit leaders for their unit, owner admins for the owner and its units
    /// (`Grants::may_plan_initiative`), tested in `initiatives.rs`.
    InitiativeWrite,
    /// The import log, import jobs and import rule edits: national admins only
    /// (`Grants::may_import`), tested in `import.rs` and `import_jobs.rs`.
    ImportLog,
    /// The audit log: national admins every row, an owner's admins their own owner's
    /// (`Grants::may_read_audit_log`), tested in `audit.rs`.
    AuditLog,
    /// Signed export links: anyone may ask for one; the link acts as the caller, and the export
    /// runs the caller's own analysis query, so it holds what `ScopedValues` and
    /// `ScopedAnalysis` allow that caller, tested in `exports.rs`.
    ExportLink,
    /// Processes and meetings (lærende møter): national example processes public; a process of
    /// an owner or unit, and its meetings, read by its planners (owner admins, unit leaders) and
    /// by the people invited to a meeting (named, or holding a role of an invited unit), in SQL
    /// (`store::MeetingReader`) and for one meeting by `MeetingReader::may_read`, tested in
    /// `meetings.rs`.
    Meetings,
    /// An agenda item's figures: live through the reader's own scoped reader (the analysis rules,
    /// as `ScopedAnalysis`); the snapshot made by the sender's rules, shown whole only to a reader
    /// who sees every figure in it live (`FrozenTable::shown_within`), tested in `meetings.rs`.
    MeetingFigures,
    /// Process and meeting writes, sending and what sending answers: the process's planners
    /// (`graphql::meeting::may_plan`), tested in `meetings.rs`.
    MeetingWrite,
}

const RULES: &[(&str, Rule)] = &[
    ("Query.owners", Rule::Public),
    ("Query.owner", Rule::Public),
    ("Query.units", Rule::Public),
    ("Query.unit", Rule::Public),
    ("Query.schoolYears", Rule::Public),
    ("Query.selections", Rule::Public),
    ("Query.selection", Rule::Public),
    ("Query.dataSources", Rule::Public),
    ("Query.indicators", Rule::Public),
    ("Query.indicator", Rule::Public),
    ("Query.node", Rule::Public),
    ("Query.me", Rule::Caller),
    ("Mutation.grantRole", Rule::RoleChange),
    ("Mutation.revokeRole", Rule::RoleChange),
    ("Owner.id", Rule::Public),
    ("Owner.name", Rule::Public),
    ("Owner.kind", Rule::Public),
    ("Owner.orgNumber", Rule::Public),
    ("Owner.countyNumber", Rule::Public),
    ("Owner.code", Rule::Public),
    ("Owner.codeHistory", Rule::Public),
    ("Owner.units", Rule::Public),
    ("Owner.values", Rule::ScopedValues),
    ("OwnerCodePeriod.code", Rule::Public),
    ("OwnerCodePeriod.validFrom", Rule::Public),
    ("OwnerCodePeriod.validTo", Rule::Public),
    ("Unit.id", Rule::Public),
    ("Unit.orgNumber", Rule::Public),
    ("Unit.name", Rule::Public),
    ("Unit.kind", Rule::Public),
    ("Unit.stage", Rule::Public),
    ("Unit.owner", Rule::Public),
    ("Unit.activeFrom", Rule::Public),
    ("Unit.activeTo", Rule::Public),
    ("Unit.values", Rule::ScopedValues),
    ("Selection.id", Rule::Public),
    ("Selection.name", Rule::Public),
    ("Selection.schoolYear", Rule::Public),
    ("Selection.scope", Rule::Public),
    ("Selection.owner", Rule::Public),
    ("Selection.lastUpdated", Rule::Public),
    ("Selection.units", Rule::Public),
    ("Selection.values", Rule::ScopedValues),
    ("SchoolYear.year", Rule::Public),
    ("SchoolYear.label", Rule::Public),
    ("DataSource.id", Rule::Public),
    ("DataSource.code", Rule::Public),
    ("DataSource.name", Rule::Public),
    ("DataSource.publisher", Rule::Public),
    ("DataSource.description", Rule::Public),
    ("DataSource.sensitivity", Rule::Public),
    ("DataSource.suppressionThreshold", Rule::Public),
    ("DataSource.minGroupSize", Rule::Public),
    ("DataSource.lastUpdated", Rule::Public),
    ("Indicator.id", Rule::Public),
    ("Indicator.code", Rule::Public),
    ("Indicator.name", Rule::Public),
    ("Indicator.description", Rule::Public),
    ("Indicator.source", Rule::Public),
    ("Indicator.category", Rule::Public),
    ("Indicator.unitOfMeasure", Rule::Public),
    ("Indicator.direction", Rule::Public),
    ("Indicator.decimals", Rule::Public),
    ("Indicator.minValue", Rule::Public),
    ("Indicator.maxValue", Rule::Public),
    ("Indicator.appliesTo", Rule::Public),
    ("Indicator.colourRule", Rule::Public),
    ("ColourRule.mode", Rule::Public),
    ("ColourRule.green", Rule::Public),
    ("ColourRule.red", Rule::Public),
    ("ColourRule.margin", Rule::Public),
    ("IndicatorValue.indicator", Rule::ScopedValues),
    ("IndicatorValue.subjectLevel", Rule::ScopedValues),
    ("IndicatorValue.unit", Rule::ScopedValues),
    ("IndicatorValue.owner", Rule::ScopedValues),
    ("IndicatorValue.countyNumber", Rule::ScopedValues),
    ("IndicatorValue.schoolYear", Rule::ScopedValues),
    ("IndicatorValue.group", Rule::ScopedValues),
    ("IndicatorValue.value", Rule::ScopedValues),
    ("IndicatorValue.n", Rule::ScopedValues),
    ("IndicatorValue.suppressed", Rule::ScopedValues),
    ("ValueGroup.code", Rule::ScopedValues),
    ("ValueGroup.grade", Rule::ScopedValues),
    ("ValueGroup.gender", Rule::ScopedValues),
    ("Query.aggregate", Rule::ScopedAnalysis),
    ("Query.artsSchoolAggregation", Rule::ScopedAnalysis),
    ("Query.colourTable", Rule::ScopedAnalysis),
    ("Query.keyFigures", Rule::ScopedAnalysis),
    ("Query.trend", Rule::ScopedAnalysis),
    ("Query.exportUrl", Rule::ExportLink),
    ("ExportLink.url", Rule::ExportLink),
    ("ExportLink.expiresAt", Rule::ExportLink),
    ("Aggregate.computed", Rule::ScopedAnalysis),
    ("Aggregate.indicator", Rule::ScopedAnalysis),
    ("Aggregate.members", Rule::ScopedAnalysis),
    ("Aggregate.membersCounted", Rule::ScopedAnalysis),
    ("Aggregate.membersMissing", Rule::ScopedAnalysis),
    ("Aggregate.membersSuppressed", Rule::ScopedAnalysis),
    ("Aggregate.n", Rule::ScopedAnalysis),
    ("Aggregate.schoolYear", Rule::ScopedAnalysis),
    ("Aggregate.suppressed", Rule::ScopedAnalysis),
    ("Aggregate.suppressionReason", Rule::ScopedAnalysis),
    ("Aggregate.value", Rule::ScopedAnalysis),
    ("ArtsSchoolAggregation.nation", Rule::ScopedAnalysis),
    ("ArtsSchoolAggregation.owners", Rule::ScopedAnalysis),
    ("ArtsSchoolAggregation.schoolYear", Rule::ScopedAnalysis),
    ("ArtsSchoolNationRow.aggregates", Rule::ScopedAnalysis),
    ("ArtsSchoolNationRow.artsSchools", Rule::ScopedAnalysis),
    ("ArtsSchoolOwnerRow.aggregates", Rule::ScopedAnalysis),
    ("ArtsSchoolOwnerRow.artsSchools", Rule::ScopedAnalysis),
    ("ArtsSchoolOwnerRow.owner", Rule::ScopedAnalysis),
    ("ColourCell.colour", Rule::ScopedAnalysis),
    ("ColourCell.indicator", Rule::ScopedAnalysis),
    ("ColourCell.n", Rule::ScopedAnalysis),
    ("ColourCell.suppressed", Rule::ScopedAnalysis),
    ("ColourCell.suppressionReason", Rule::ScopedAnalysis),
    ("ColourCell.value", Rule::ScopedAnalysis),
    ("ColourTable.group", Rule::ScopedAnalysis),
    ("ColourTable.nationRow", Rule::ScopedAnalysis),
    ("ColourTable.ownerRow", Rule::ScopedAnalysis),
    ("ColourTable.rows", Rule::ScopedAnalysis),
    ("ColourTable.schoolYear", Rule::ScopedAnalysis),
    ("ColourTableReferenceRow.cells", Rule::ScopedAnalysis),
    ("ColourTableReferenceRow.label", Rule::ScopedAnalysis),
    ("ColourTableReferenceRow.owner", Rule::ScopedAnalysis),
    ("ColourTableRow.cells", Rule::ScopedAnalysis),
    ("ColourTableRow.unit", Rule::ScopedAnalysis),
    ("KeyFigure.indicator", Rule::ScopedAnalysis),
    ("KeyFigure.nationValue", Rule::ScopedAnalysis),
    ("KeyFigure.ownerValue", Rule::ScopedAnalysis),
    ("KeyFigures.figures", Rule::ScopedAnalysis),
    ("KeyFigures.owner", Rule::ScopedAnalysis),
    ("KeyFigures.schoolYear", Rule::ScopedAnalysis),
    ("Trend.group", Rule::ScopedAnalysis),
    ("Trend.indicator", Rule::ScopedAnalysis),
    ("Trend.owner", Rule::ScopedAnalysis),
    ("Trend.points", Rule::ScopedAnalysis),
    ("Trend.unit", Rule::ScopedAnalysis),
    ("TrendPoint.change", Rule::ScopedAnalysis),
    ("TrendPoint.n", Rule::ScopedAnalysis),
    ("TrendPoint.nationValue", Rule::ScopedAnalysis),
    ("TrendPoint.ownerValue", Rule::ScopedAnalysis),
    ("TrendPoint.schoolYear", Rule::ScopedAnalysis),
    ("TrendPoint.suppressed", Rule::ScopedAnalysis),
    ("TrendPoint.suppressionReason", Rule::ScopedAnalysis),
    ("TrendPoint.value", Rule::ScopedAnalysis),
    ("IndicatorValue.suppressionReason", Rule::ScopedValues),
    ("Me.feideUserId", Rule::Caller),
    ("Me.clientId", Rule::Caller),
    ("Me.roles", Rule::Caller),
    ("RoleGrant.role", Rule::Caller),
    ("RoleGrant.owner", Rule::Caller),
    ("RoleGrant.unit", Rule::Caller),
    ("Query.qualityFrameworks", Rule::FrameworkText),
    ("Query.qualityFramework", Rule::FrameworkText),
    ("QualityFramework.id", Rule::FrameworkText),
    ("QualityFramework.code", Rule::FrameworkText),
    ("QualityFramework.owner", Rule::FrameworkText),
    ("QualityFramework.status", Rule::FrameworkText),
    ("QualityFramework.version", Rule::FrameworkText),
    ("QualityFramework.current", Rule::FrameworkText),
    ("QualityFramework.versionTexts", Rule::FrameworkText),
    ("QualityFramework.versions", Rule::FrameworkText),
    ("QualityFramework.differences", Rule::FrameworkText),
    ("QualityFrameworkDifference.criterion", Rule::FrameworkText),
    ("QualityFrameworkDifference.change", Rule::FrameworkText),
    ("QualityFrameworkDifference.parts", Rule::FrameworkText),
    ("QualityFrameworkVersion.version", Rule::FrameworkText),
    ("QualityFrameworkVersion.createdAt", Rule::FrameworkText),
    ("QualityFrameworkVersion.name", Rule::FrameworkText),
    ("QualityFrameworkVersion.description", Rule::FrameworkText),
    ("QualityFrameworkVersion.unitKinds", Rule::FrameworkText),
    (
        "QualityFrameworkVersion.levelDefinitions",
        Rule::FrameworkText,
    ),
    (
        "QualityFrameworkVersion.reflectionQuestions",
        Rule::FrameworkText,
    ),
    ("QualityFrameworkVersion.areas", Rule::FrameworkText),
    ("QualityFrameworkVersion.criterion", Rule::FrameworkText),
    ("QualityArea.number", Rule::FrameworkText),
    ("QualityArea.name", Rule::FrameworkText),
    ("QualityArea.criteria", Rule::FrameworkText),
    ("QualityCriterion.number", Rule::FrameworkText),
    ("QualityCriterion.name", Rule::FrameworkText),
    ("QualityCriterion.levels", Rule::FrameworkText),
    ("QualityCriterion.indicators", Rule::FrameworkText),
    ("QualityLevel.level", Rule::FrameworkText),
    ("QualityLevel.statements", Rule::FrameworkText),
    ("CriterionOverview.criterion", Rule::FrameworkText),
    ("Unit.assessments", Rule::Assessments),
    ("Unit.criterionOverview", Rule::Assessments),
    ("CriterionOverview.assessments", Rule::Assessments),
    ("Assessment.unit", Rule::Assessments),
    ("Assessment.framework", Rule::Assessments),
    ("Assessment.criterion", Rule::Assessments),
    ("Assessment.schoolYear", Rule::Assessments),
    ("Assessment.revision", Rule::Assessments),
    ("Assessment.current", Rule::Assessments),
    ("Assessment.history", Rule::Assessments),
    ("Assessment.votes", Rule::Assessments),
    ("AssessmentRevision.revision", Rule::Assessments),
    ("AssessmentRevision.level", Rule::Assessments),
    ("AssessmentRevision.strengths", Rule::Assessments),
    ("AssessmentRevision.nextSteps", Rule::Assessments),
    ("AssessmentRevision.assessedBy", Rule::Assessments),
    ("AssessmentRevision.assessedAt", Rule::Assessments),
    ("AssessmentRevision.frameworkVersion", Rule::Assessments),
    ("AssessmentRevision.criterionText", Rule::Assessments),
    ("AssessmentVotes.counts", Rule::Assessments),
    ("AssessmentVotes.shown", Rule::Assessments),
    ("AssessmentVotes.mine", Rule::Assessments),
    ("ShownVote.voter", Rule::Assessments),
    ("ShownVote.level", Rule::Assessments),
    ("CriterionOverview.values", Rule::ScopedValues),
    ("Query.levelDistribution", Rule::Distribution),
    ("LevelDistributionPoint.schoolYear", Rule::Distribution),
    ("LevelDistributionPoint.assessedUnits", Rule::Distribution),
    ("LevelDistributionPoint.counts", Rule::Distribution),
    ("LevelDistributionPoint.suppressed", Rule::Distribution),
    (
        "LevelDistributionPoint.suppressionReason",
        Rule::Distribution,
    ),
    ("LevelCount.level", Rule::Distribution),
    ("LevelCount.count", Rule::Distribution),
    ("Mutation.createQualityFramework", Rule::QualityChange),
    ("Mutation.editQualityFramework", Rule::QualityChange),
    ("Mutation.publishQualityFramework", Rule::QualityChange),
    ("Mutation.retireQualityFramework", Rule::QualityChange),
    ("Mutation.assessCriterion", Rule::QualityChange),
    ("Mutation.voteOnCriterion", Rule::QualityChange),
    // Checked before the stream starts (the unit's and its owner's roles, as `Unit.assessments`)
    // and read through the scoped reader at every change, tested in `live.rs`.
    ("Subscription.assessmentVotes", Rule::Assessments),
    ("Query.initiative", Rule::Initiatives),
    ("Unit.initiatives", Rule::Initiatives),
    ("Owner.initiatives", Rule::Initiatives),
    ("Owner.initiativeOverview", Rule::Initiatives),
    ("Initiative.id", Rule::Initiatives),
    ("Initiative.unit", Rule::Initiatives),
    ("Initiative.owner", Rule::Initiatives),
    ("Initiative.parent", Rule::Initiatives),
    ("Initiative.children", Rule::Initiatives),
    ("Initiative.title", Rule::Initiatives),
    ("Initiative.description", Rule::Initiatives),
    ("Initiative.situationToday", Rule::Initiatives),
    ("Initiative.situationSnapshot", Rule::Initiatives),
    ("Initiative.wishedSituation", Rule::Initiatives),
    ("Initiative.targets", Rule::Initiatives),
    ("Initiative.actions", Rule::Initiatives),
    ("Initiative.successCriteria", Rule::Initiatives),
    ("Initiative.responsible", Rule::Initiatives),
    ("Initiative.startDate", Rule::Initiatives),
    ("Initiative.endDate", Rule::Initiatives),
    ("Initiative.status", Rule::Initiatives),
    ("Initiative.revision", Rule::Initiatives),
    ("Initiative.criteria", Rule::Initiatives),
    ("Initiative.indicators", Rule::Initiatives),
    ("Initiative.schoolYears", Rule::Initiatives),
    ("Initiative.createdBy", Rule::Initiatives),
    ("Initiative.createdAt", Rule::Initiatives),
    ("Initiative.evaluations", Rule::Initiatives),
    ("Initiative.latestEvaluation", Rule::Initiatives),
    ("Initiative.history", Rule::InitiativeHistory),
    ("InitiativeTarget.indicator", Rule::Initiatives),
    ("InitiativeTarget.value", Rule::Initiatives),
    ("InitiativeTarget.bySchoolYear", Rule::Initiatives),
    ("InitiativeTarget.met", Rule::Initiatives),
    ("InitiativeTarget.actual", Rule::ScopedValues),
    ("IndicatorReading.indicator", Rule::Initiatives),
    ("IndicatorReading.schoolYear", Rule::Initiatives),
    ("IndicatorReading.value", Rule::Initiatives),
    ("IndicatorReading.n", Rule::Initiatives),
    ("IndicatorReading.suppressed", Rule::Initiatives),
    ("IndicatorReading.suppressionReason", Rule::Initiatives),
    ("InitiativeCriterion.framework", Rule::Initiatives),
    ("InitiativeCriterion.criterion", Rule::Initiatives),
    ("InitiativeEvaluation.date", Rule::Initiatives),
    ("InitiativeEvaluation.judgement", Rule::Initiatives),
    ("InitiativeEvaluation.text", Rule::Initiatives),
    ("InitiativeEvaluation.evaluatedBy", Rule::Initiatives),
    ("InitiativeEvaluation.recordedAt", Rule::Initiatives),
    ("InitiativeChange.revision", Rule::InitiativeHistory),
    ("InitiativeChange.fields", Rule::InitiativeHistory),
    ("InitiativeChange.changedBy", Rule::InitiativeHistory),
    ("InitiativeChange.changedAt", Rule::InitiativeHistory),
    ("Mutation.createInitiative", Rule::InitiativeWrite),
    ("Mutation.editInitiative", Rule::InitiativeWrite),
    ("Mutation.changeInitiativeStatus", Rule::InitiativeWrite),
    ("Mutation.evaluateInitiative", Rule::InitiativeWrite),
    ("Query.imports", Rule::ImportLog),
    ("Query.auditLog", Rule::AuditLog),
    ("Query.importJob", Rule::ImportLog),
    ("Mutation.setImportRule", Rule::ImportLog),
    ("Mutation.removeImportRule", Rule::ImportLog),
    ("ImportRule.source", Rule::ImportLog),
    ("ImportRule.kind", Rule::ImportLog),
    ("ImportRule.sourceCode", Rule::ImportLog),
    ("ImportRule.target", Rule::ImportLog),
    ("Query.importJobs", Rule::ImportLog),
    ("Query.importRules", Rule::ImportLog),
    ("ImportJob.id", Rule::ImportLog),
    ("ImportJob.source", Rule::ImportLog),
    ("ImportJob.fileName", Rule::ImportLog),
    ("ImportJob.dryRun", Rule::ImportLog),
    ("ImportJob.state", Rule::ImportLog),
    ("ImportJob.bytesTotal", Rule::ImportLog),
    ("ImportJob.bytesRead", Rule::ImportLog),
    ("ImportJob.recordsRead", Rule::ImportLog),
    ("ImportJob.rejected", Rule::ImportLog),
    ("ImportJob.inserted", Rule::ImportLog),
    ("ImportJob.updated", Rule::ImportLog),
    ("ImportJob.unchanged", Rule::ImportLog),
    ("ImportJob.duplicates", Rule::ImportLog),
    ("ImportJob.skipped", Rule::ImportLog),
    ("ImportJob.checksum", Rule::ImportLog),
    ("ImportJob.problems", Rule::ImportLog),
    ("ImportJob.error", Rule::ImportLog),
    ("ImportJob.createdBy", Rule::ImportLog),
    ("ImportJob.createdAt", Rule::ImportLog),
    ("ImportJob.startedAt", Rule::ImportLog),
    ("ImportJob.finishedAt", Rule::ImportLog),
    ("ImportProblem.location", Rule::ImportLog),
    ("ImportProblem.reason", Rule::ImportLog),
    ("ImportRecord.source", Rule::ImportLog),
    ("ImportRecord.fileName", Rule::ImportLog),
    ("ImportRecord.checksum", Rule::ImportLog),
    ("ImportRecord.importedBy", Rule::ImportLog),
    ("ImportRecord.importedAt", Rule::ImportLog),
    ("ImportRecord.applied", Rule::ImportLog),
    ("ImportRecord.inserted", Rule::ImportLog),
    ("ImportRecord.updated", Rule::ImportLog),
    ("ImportRecord.unchanged", Rule::ImportLog),
    ("ImportRecord.rejected", Rule::ImportLog),
    ("AuditEntry.occurredAt", Rule::AuditLog),
    ("AuditEntry.actor", Rule::AuditLog),
    ("AuditEntry.kind", Rule::AuditLog),
    ("AuditEntry.operation", Rule::AuditLog),
    ("AuditEntry.fields", Rule::AuditLog),
    ("AuditEntry.owner", Rule::AuditLog),
    ("AuditEntry.unit", Rule::AuditLog),
    ("AgendaCriterion.unit", Rule::Meetings),
    ("AgendaCriterion.framework", Rule::Meetings),
    ("AgendaCriterion.criterion", Rule::Meetings),
    ("AgendaCriterion.schoolYear", Rule::Meetings),
    ("AgendaCriterion.assessment", Rule::Assessments),
    ("AgendaData.kind", Rule::Meetings),
    ("AgendaData.owner", Rule::Meetings),
    ("AgendaData.unit", Rule::Meetings),
    ("AgendaData.indicators", Rule::Meetings),
    ("AgendaData.schoolYear", Rule::Meetings),
    ("AgendaData.live", Rule::MeetingFigures),
    ("AgendaData.snapshot", Rule::MeetingFigures),
    ("AgendaData.snapshotWithheld", Rule::MeetingFigures),
    ("AgendaItem.title", Rule::Meetings),
    ("AgendaItem.comment", Rule::Meetings),
    ("AgendaItem.reflectionQuestions", Rule::Meetings),
    ("AgendaItem.data", Rule::Meetings),
    ("AgendaItem.criterion", Rule::Meetings),
    ("AgendaItem.images", Rule::Meetings),
    ("FigureCell.value", Rule::MeetingFigures),
    ("FigureCell.n", Rule::MeetingFigures),
    ("FigureCell.suppressed", Rule::MeetingFigures),
    ("FigureCell.suppressionReason", Rule::MeetingFigures),
    ("FigureCell.colour", Rule::MeetingFigures),
    ("FigureRow.key", Rule::MeetingFigures),
    ("FigureRow.label", Rule::MeetingFigures),
    ("FigureRow.cells", Rule::MeetingFigures),
    ("FigureTable.columns", Rule::MeetingFigures),
    ("FigureTable.rows", Rule::MeetingFigures),
    ("InvitationMail.sent", Rule::MeetingWrite),
    ("InvitationMail.recipients", Rule::MeetingWrite),
    ("InvitationMail.withoutAddress", Rule::MeetingWrite),
    ("InvitationMail.problem", Rule::MeetingWrite),
    ("Meeting.id", Rule::Meetings),
    ("Meeting.process", Rule::Meetings),
    ("Meeting.title", Rule::Meetings),
    ("Meeting.status", Rule::Meetings),
    ("Meeting.revision", Rule::Meetings),
    ("Meeting.startsAt", Rule::Meetings),
    ("Meeting.endsAt", Rule::Meetings),
    ("Meeting.place", Rule::Meetings),
    ("Meeting.participants", Rule::Meetings),
    ("Meeting.agenda", Rule::Meetings),
    ("Meeting.images", Rule::Meetings),
    ("Meeting.sentAt", Rule::Meetings),
    ("Meeting.minutes", Rule::Meetings),
    ("Meeting.invitation", Rule::Meetings),
    ("MeetingDecision.text", Rule::Meetings),
    ("MeetingDecision.initiative", Rule::Initiatives),
    ("MeetingImage.number", Rule::Meetings),
    ("MeetingImage.contentType", Rule::Meetings),
    ("MeetingImage.size", Rule::Meetings),
    ("MeetingImage.base64", Rule::Meetings),
    ("MeetingInvitation.uid", Rule::Meetings),
    ("MeetingInvitation.sequence", Rule::Meetings),
    ("MeetingInvitation.method", Rule::Meetings),
    ("MeetingInvitation.ics", Rule::Meetings),
    ("MeetingMinutes.text", Rule::Meetings),
    ("MeetingMinutes.decisions", Rule::Meetings),
    ("MeetingParticipant.feideUserId", Rule::Meetings),
    ("MeetingParticipant.staffOf", Rule::Meetings),
    ("MeetingProcess.id", Rule::Meetings),
    ("MeetingProcess.title", Rule::Meetings),
    ("MeetingProcess.description", Rule::Meetings),
    ("MeetingProcess.isExample", Rule::Meetings),
    ("MeetingProcess.owner", Rule::Meetings),
    ("MeetingProcess.unit", Rule::Meetings),
    ("MeetingProcess.schoolYear", Rule::Meetings),
    ("MeetingProcess.copiedFrom", Rule::Meetings),
    ("MeetingProcess.meetings", Rule::Meetings),
    ("MeetingSent.meeting", Rule::MeetingWrite),
    ("MeetingSent.invitation", Rule::MeetingWrite),
    ("MeetingSent.mail", Rule::MeetingWrite),
    ("Query.meetingProcesses", Rule::Meetings),
    ("Query.meeting", Rule::Meetings),
    ("Mutation.createMeetingProcess", Rule::MeetingWrite),
    ("Mutation.copyMeetingProcess", Rule::MeetingWrite),
    ("Mutation.planMeeting", Rule::MeetingWrite),
    ("Mutation.editMeeting", Rule::MeetingWrite),
    ("Mutation.uploadMeetingImage", Rule::MeetingWrite),
    ("Mutation.sendMeeting", Rule::MeetingWrite),
    ("Mutation.cancelMeeting", Rule::MeetingWrite),
    ("Mutation.recordMinutes", Rule::MeetingWrite),
    ("Mutation.setInvitationAddress", Rule::Caller),
];

async fn every_field_has_an_access_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ __schema { types { name kind fields { name } } } }",
            json!({}),
        )
        .await;
    let mut fields = BTreeSet::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // Introspection and the generic Relay pagination types carry no data of their own.
        let structural = name.starts_with("__")
            || name.ends_with("Connection")
            || name.ends_with("Edge")
            || name == "PageInfo";
        if ty["kind"] != "OBJECT" || structural {
            continue;
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            fields.insert(format!("{name}.{}", field["name"].as_str().unwrap()));
        }
    }
    let rules: BTreeMap<&str, Rule> = RULES.iter().copied().collect();
    let without_rule: Vec<&String> = fields
        .iter()
        .filter(|field| !rules.contains_key(field.as_str()))
        .collect();
    assert!(
        without_rule.is_empty(),
        "fields without an access rule: {without_rule:?}"
    );
    let stale: Vec<&&str> = rules
        .keys()
        .filter(|field| !fields.contains(**field))
        .collect();
    assert!(
        stale.is_empty(),
        "rules for fields that no longer exist: {stale:?}"
    );
}

const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
const DRAMMEN_ARTS_SCHOOL: &str = "903208074";
/// Lierdalen interkommunale kulturskole: shared with Lier, run by Drammen as host kommune.
const DRAMMEN_INTERMUNICIPAL_ARTS_SCHOOL: &str = "813778580";

const UNIT_VALUES: &str = "query($org: String!) { unit(by: {orgNumber: $org}) {
    values(first: 500) { edges { node { value indicator { code source { sensitivity } } } } } } }";

fn restricted_indicators() -> BTreeSet<String> {
    let restricted_sources: BTreeSet<String> = seed_rows("data_sources.csv")
        .into_iter()
        .filter(|s| s["sensitivity"] == "restricted")
        .map(|s| s["code"].clone())
        .collect();
    seed_rows("indicators.csv")
        .into_iter()
        .filter(|i| restricted_sources.contains(&i["source_code"]))
        .map(|i| i["code"].clone())
        .collect()
}

/// Seeded restricted value rows of a unit.
fn seeded_restricted(org: &str) -> usize {
    let restricted = restricted_indicators();
    seed_rows("values.csv")
        .into_iter()
        .filter(|v| {
            v["subject_level"] == "unit"
                && v["subject_code"] == org
                && restricted.contains(&v["indicator_code"])
        })
        .count()
}

/// How many public and restricted values a caller sees for a unit.
async fn visible_values(app: &TestApp, bearer: Option<&str>, org: &str) -> (usize, usize) {
    let body = app
        .query_as(bearer, UNIT_VALUES, json!({ "org": org }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let edges = body["data"]["unit"]["values"]["edges"].as_array().unwrap();
    let restricted = edges
        .iter()
        .filter(|edge| edge["node"]["indicator"]["source"]["sensitivity"] == "RESTRICTED")
        .count();
    (edges.len() - restricted, restricted)
}

async fn anonymous_callers_see_only_public_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(
        seeded_restricted(KONGSBERG_ARTS_SCHOOL) > 0,
        "the seeds hold restricted values"
    );
    let (public, restricted) = visible_values(&app, None, KONGSBERG_ARTS_SCHOOL).await;
    assert!(public > 0);
    assert_eq!(restricted, 0);
    let body = app
        .query_as(None, "{ selections(filter: {scope: NETWORK}, first: 10) { edges { node { values(first: 500) { edges { node { indicator { source { sensitivity } } } } } } } } }", json!({}))
        .await;
    assert!(!body.to_string().contains("RESTRICTED"), "{body}");
}

async fn owner_and_unit_roles_see_their_own_restricted_values_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for caller in [
        "analytiker@drammen.kommune.no",
        "laerer.kulturskole@drammen.kommune.no",
    ] {
        let token = app.token_for(caller).await;
        let own = visible_values(&app, Some(&token), DRAMMEN_ARTS_SCHOOL).await;
        assert_eq!(
            own.1,
            seeded_restricted(DRAMMEN_ARTS_SCHOOL),
            "{caller} sees Drammen's own"
        );
        let other = visible_values(&app, Some(&token), KONGSBERG_ARTS_SCHOOL).await;
        assert_eq!(other.1, 0, "{caller} sees nothing restricted of Kongsberg");
        assert!(other.0 > 0, "{caller} still sees Kongsberg's public values");
    }
    // Through a network selection holding both owners' arts schools, only the own owner's units'
    // restricted values come through.
    let token = app.token_for("analytiker@drammen.kommune.no").await;
    let body = app
        .query_as(
            Some(&token),
            "{ selections(filter: {scope: NETWORK, schoolYear: 2025}, first: 10) { edges { node { values(first: 500) { edges { node { unit { orgNumber } indicator { source { sensitivity } } } } } } } } }",
            json!({}),
        )
        .await;
    let mut restricted_units = BTreeSet::new();
    for selection in body["data"]["selections"]["edges"].as_array().unwrap() {
        for edge in selection["node"]["values"]["edges"].as_array().unwrap() {
            if edge["node"]["indicator"]["source"]["sensitivity"] == "RESTRICTED" {
                restricted_units.insert(
                    edge["node"]["unit"]["orgNumber"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
        }
    }
    assert_eq!(
        restricted_units,
        BTreeSet::from([
            DRAMMEN_ARTS_SCHOOL.to_owned(),
            DRAMMEN_INTERMUNICIPAL_ARTS_SCHOOL.to_owned()
        ])
    );
}

async fn national_readers_get_no_unit_level_restricted_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for("analytiker@kulturskoleradet.no").await;
    for org in [KONGSBERG_ARTS_SCHOOL, DRAMMEN_ARTS_SCHOOL] {
        assert_eq!(visible_values(&app, Some(&token), org).await.1, 0);
    }
}

async fn a_bi_client_with_a_bearer_token_reads_its_owners_data_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kongsberg = app
        .store
        .owner_by_code(&OwnerCode::parse("3303").unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    let auth = Auth::new(app.store.clone(), AuthConfig::default()).unwrap();
    let (client_id, secret) = auth
        .create_api_client("Kongsberg BI", Role::OwnerReader(kongsberg.id))
        .await
        .unwrap();

    let token_url = app.url("/auth/token");
    let issued: Value = app
        .client
        .post(&token_url)
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(issued["token_type"], "Bearer");
    assert!(issued["expires_in"].as_i64().unwrap() > 0);
    let token = issued["access_token"].as_str().unwrap();

    let me = app
        .query_as(
            Some(token),
            "{ me { clientId roles { role owner { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["clientId"], client_id.as_str());
    assert_eq!(
        me["data"]["me"]["roles"][0]["owner"]["name"],
        "Kongsberg kommune"
    );
    let own = visible_values(&app, Some(token), KONGSBERG_ARTS_SCHOOL).await;
    assert_eq!(own.1, seeded_restricted(KONGSBERG_ARTS_SCHOOL));
    assert_eq!(
        visible_values(&app, Some(token), DRAMMEN_ARTS_SCHOOL)
            .await
            .1,
        0
    );

    // Wrong secret, unknown grant and bad tokens are refused with OAuth / HTTP semantics.
    let wrong = app
        .client
        .post(&token_url)
        .basic_auth(&client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let form_auth = app
        .client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form_auth.status(), StatusCode::OK);
    let password = app
        .client
        .post(&token_url)
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), StatusCode::BAD_REQUEST);
    let forged = app
        .post_graphql_as(
            &json!({ "query": "{ me { clientId } }" }),
            Some("forged-token"),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(
        forged.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

const GRANT: &str = "mutation($input: RoleInput!) { grantRole(input: $input) { role owner { name } unit { name } } }";

async fn roles_are_granted_only_within_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let grant = |owner_code: Option<&str>, unit: Option<&str>, role: &str| {
        json!({ "input": {
            "feideUserId": "ny@kongsberg.kommune.no",
            "role": role,
            "owner": owner_code.map(|code| json!({ "code": code })),
            "unit": unit.map(|org| json!({ "orgNumber": org })),
        }})
    };
    let anonymous = app
        .query_as(None, GRANT, grant(Some("3303"), None, "OWNER_READER"))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);

    let drammen_reader = app.token_for("analytiker@drammen.kommune.no").await;
    let refused = app
        .query_as(
            Some(&drammen_reader),
            GRANT,
            grant(Some("3301"), None, "OWNER_READER"),
        )
        .await;
    assert_eq!(
        error_codes(&refused),
        ["FORBIDDEN"],
        "readers grant nothing"
    );

    let kongsberg_admin = app.token_for("radgiver@kongsberg.kommune.no").await;
    for variables in [
        grant(Some("3301"), None, "OWNER_READER"),
        grant(None, Some(DRAMMEN_ARTS_SCHOOL), "UNIT_STAFF"),
        grant(Some("3303"), None, "OWNER_ADMIN"),
        grant(None, None, "NATIONAL_READER"),
    ] {
        let body = app
            .query_as(Some(&kongsberg_admin), GRANT, variables.clone())
            .await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{variables}");
    }
    let granted = app
        .query_as(
            Some(&kongsberg_admin),
            GRANT,
            grant(Some("3303"), None, "OWNER_READER"),
        )
        .await;
    assert!(granted.get("errors").is_none(), "{granted}");
    assert_eq!(
        granted["data"]["grantRole"]["owner"]["name"],
        "Kongsberg kommune"
    );
    let new_reader = app.token_for("ny@kongsberg.kommune.no").await;
    assert_eq!(
        visible_values(&app, Some(&new_reader), KONGSBERG_ARTS_SCHOOL)
            .await
            .1,
        seeded_restricted(KONGSBERG_ARTS_SCHOOL),
        "the new role takes effect"
    );
    let unit_grant = app
        .query_as(
            Some(&kongsberg_admin),
            GRANT,
            grant(None, Some(KONGSBERG_ARTS_SCHOOL), "UNIT_STAFF"),
        )
        .await;
    assert_eq!(
        unit_grant["data"]["grantRole"]["unit"]["name"],
        "Kongsberg kulturskole"
    );

    let revoke = "mutation($input: RoleInput!) { revokeRole(input: $input) }";
    for variables in [
        grant(Some("3303"), None, "OWNER_READER"),
        grant(None, Some(KONGSBERG_ARTS_SCHOOL), "UNIT_STAFF"),
    ] {
        let revoked = app
            .query_as(Some(&kongsberg_admin), revoke, variables)
            .await;
        assert_eq!(revoked["data"]["revokeRole"], true);
    }
    assert_eq!(
        visible_values(&app, Some(&new_reader), KONGSBERG_ARTS_SCHOOL)
            .await
            .1,
        0
    );

    let national_admin = app.token_for("admin@varde.example").await;
    let owner_admin = app
        .query_as(
            Some(&national_admin),
            GRANT,
            grant(Some("3301"), None, "OWNER_ADMIN"),
        )
        .await;
    assert!(owner_admin.get("errors").is_none(), "{owner_admin}");
}

async fn the_demo_login_is_off_unless_enabled(backend: Backend) {
    let off = TestApp::spawn(backend).await;
    let refused = off
        .client
        .get(off.url("/auth/dev-login?user=rektor@kongsberg.kommune.no"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = AuthConfig {
        dev_login: true,
        insecure_cookies: true,
        ..AuthConfig::default()
    };
    let on = TestApp::spawn_on(listener, backend, HttpConfig::default(), config).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = browser
        .get(on.url("/auth/dev-login?user=rektor@kongsberg.kommune.no"))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_redirection());
    let me = send_query(
        browser.post(on.url("/graphql")),
        "{ me { feideUserId roles { role unit { name } } } }",
    )
    .await;
    assert_eq!(me["data"]["me"]["roles"][0]["role"], "UNIT_LEADER");
}

const ANALYSES: &str = "query($unit: String!) {
    aggregate(indicators: [\"ke_trivsel\"], schoolYear: 2025, subject: {owner: {code: \"3303\"}}) { value suppressionReason }
    colourTable(rows: {owner: {code: \"3303\"}}, schoolYear: 2025, indicators: [\"ke_trivsel\"]) {
        rows { unit { orgNumber } cells { value suppressionReason } } ownerRow { cells { value suppressionReason } } }
    trend(indicator: {code: \"ke_trivsel\"}, subject: {unit: {orgNumber: $unit}}) { points { value suppressionReason ownerValue } }
    keyFigures(owner: {code: \"3303\"}, schoolYear: 2025, indicators: [\"ke_trivsel\"]) { figures { ownerValue { value suppressionReason } } }
    artsSchoolAggregation(schoolYear: 2025, indicators: [\"ke_trivsel\"]) {
        owners { owner { code } aggregates { value suppressionReason } } } }";

/// Every value a caller got for Kongsberg's restricted arts-school survey, as (visible, reason).
fn kongsberg_answers(body: &Value) -> Vec<(bool, String)> {
    let data = &body["data"];
    let mut answers = vec![data["aggregate"][0].clone()];
    for row in data["colourTable"]["rows"].as_array().unwrap() {
        if row["unit"]["orgNumber"] == KONGSBERG_ARTS_SCHOOL {
            answers.extend(row["cells"].as_array().unwrap().iter().cloned());
        }
    }
    answers.extend(
        data["colourTable"]["ownerRow"]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    for point in data["trend"]["points"].as_array().unwrap() {
        answers.push(point.clone());
        // The owner reference of a trend is a bare number: hidden means null.
        let reason = if point["ownerValue"].is_null() {
            "NOT_PERMITTED"
        } else {
            ""
        };
        answers.push(json!({ "value": point["ownerValue"], "suppressionReason": reason }));
    }
    answers.push(data["keyFigures"]["figures"][0]["ownerValue"].clone());
    for row in data["artsSchoolAggregation"]["owners"].as_array().unwrap() {
        if row["owner"]["code"] == "3303" {
            answers.extend(row["aggregates"].as_array().unwrap().iter().cloned());
        }
    }
    answers
        .into_iter()
        .map(|answer| {
            (
                !answer["value"].is_null(),
                answer["suppressionReason"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

async fn analyses_hide_another_owners_restricted_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let variables = json!({ "unit": KONGSBERG_ARTS_SCHOOL });
    for outsider in [
        None,
        Some("analytiker@drammen.kommune.no"),
        Some("laerer.kulturskole@drammen.kommune.no"),
    ] {
        let token = match outsider {
            Some(user) => Some(app.token_for(user).await),
            None => None,
        };
        let body = app
            .query_as(token.as_deref(), ANALYSES, variables.clone())
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let answers = kongsberg_answers(&body);
        assert!(answers.len() >= 6, "{body}");
        assert!(
            answers
                .iter()
                .all(|(visible, reason)| !visible && reason == "NOT_PERMITTED"),
            "{outsider:?} saw Kongsberg's restricted data: {answers:?}"
        );
    }
    let insider = app.token_for("radgiver@kongsberg.kommune.no").await;
    let body = app.query_as(Some(&insider), ANALYSES, variables).await;
    let answers = kongsberg_answers(&body);
    assert!(
        answers.iter().any(|(visible, _)| *visible),
        "the owner's own people see it: {answers:?}"
    );
    assert!(
        answers.iter().all(|(_, reason)| reason != "NOT_PERMITTED"),
        "{answers:?}"
    );
}

"""The store's schema, written in SQLAlchemy Core so it runs on SQLite and PostgreSQL.

Two groups of tables live here:

* reference tables, rebuilt from seed and source files by ``rmo_data.ingest.build``;
* user tables (scenarios, workshops, participant weights, action plan items,
  audit log, editors' change sets) that people create in the app and that a
  rebuild keeps.

Lists (stages of a leverage, its targets, risks, organisations) are kept in
link tables rather than delimited strings so that filters stay plain SQL.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _source_fk(nullable: bool = False) -> Column:
    """Every reference row cites a row of ``source``."""
    return Column("source_id", String(64), ForeignKey("source.id"), nullable=nullable)


source = Table(
    "source", metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("publisher", Text, nullable=False),
    Column("year", Integer),
    Column("url", Text),
    Column("licence", Text),
    Column("kind", String(32), nullable=False),  # report | dataset | cited
    Column("feeds", Text),  # what the source feeds in the app
    Column("note", Text),
)

material = Table(
    "material", metadata,
    Column("slug", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("short_name", Text, nullable=False),
    Column("sort_order", Integer, nullable=False),
    Column("ore", Text),
    Column("summary", Text),
    Column("automotive_uses", Text),
    Column("automotive_relevance", Text),
    _source_fk(),
    Column("section", Text),
)

material_link = Table(
    "material_link", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("linked_name", Text, nullable=False),
    Column("linked_slug", String(32), ForeignKey("material.slug")),
    Column("relation", String(32), nullable=False),
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
)

stage = Table(
    "stage", metadata,
    Column("slug", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("sort_order", Integer, nullable=False),
    Column("description", Text),
)

end_use_share = Table(
    "end_use_share", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("sector", Text, nullable=False),
    Column("share_pct", Float, nullable=False),
    Column("bound", String(8), nullable=False, default="eq"),  # eq | ge | le | approx
    Column("is_automotive", Boolean, nullable=False, default=False),
    Column("basis", Text, nullable=False),  # what the share is a share of
    Column("scope", String(16), nullable=False),  # global | US | EU
    Column("year", Integer),
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
    CheckConstraint("share_pct >= 0 AND share_pct <= 100", name="ck_end_use_share_pct"),
    Index("ix_end_use_share_material", "material"),
)

country = Table(
    "country", metadata,
    Column("iso3", String(3), primary_key=True),
    Column("name", Text, nullable=False),
    Column("iso_numeric", Integer),
)

commodity = Table(
    "commodity", metadata,
    Column("slug", String(64), primary_key=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("stage", String(32), ForeignKey("stage.slug"), nullable=False),
    Column("name", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("is_primary", Boolean, nullable=False, default=False),
    Column("note", Text),
)

production = Table(
    "production", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commodity", String(64), ForeignKey("commodity.slug"), nullable=False),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("stage", String(32), ForeignKey("stage.slug"), nullable=False),
    Column("country_name", Text, nullable=False),
    Column("iso3", String(3), ForeignKey("country.iso3")),
    Column("country_kind", String(8), nullable=False),  # country | world | other
    Column("year", Integer, nullable=False),
    Column("quantity", Float),  # NULL when withheld or not available
    Column("unit", Text, nullable=False),
    Column("value_flag", String(16)),  # W, NA, XX, <, >, ... as published
    Column("is_estimate", Boolean, nullable=False, default=False),
    Column("edition", Text),
    _source_fk(),
    Index("ix_production_lookup", "material", "stage", "year"),
    Index("ix_production_commodity", "commodity", "year"),
)

concentration_statement = Table(
    "concentration_statement", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("stage", String(32), ForeignKey("stage.slug"), nullable=False),
    Column("level", String(16), nullable=False),  # country | company
    Column("subject", Text, nullable=False),
    Column("share_pct", Float),
    Column("bound", String(8)),  # NULL when the statement has no figure
    Column("statement", Text, nullable=False),
    Column("year", Integer),
    _source_fk(),
    Column("section", Text),
    # Revision 0005: what the year rests on (constants.YEAR_BASES) and, for a country statement,
    # the country it names, so the page can set the measured share of that country beside it.
    Column("year_basis", String(16)),
    Column("country_name", Text),
    # Named as revision 0005 names it, so its downgrade finds it on a store built from this schema too
    # (PostgreSQL would otherwise call it concentration_statement_iso3_fkey).
    Column("iso3", String(3), ForeignKey("country.iso3", name="fk_concentration_statement_iso3")),
)

company = Table(
    "company", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("country", Text),
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
    Index("ix_company_material", "material"),
)

company_stage = Table(
    "company_stage", metadata,
    Column("company_id", Integer, ForeignKey("company.id"), primary_key=True),
    Column("stage", String(32), ForeignKey("stage.slug"), primary_key=True),
)

risk_category = Table(
    "risk_category", metadata,
    Column("slug", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("pillar", String(1), nullable=False),
    Column("description", Text),
    Column("sort_order", Integer, nullable=False),
)

salient_risk = Table(
    "salient_risk", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug")),  # NULL = cross-cutting
    Column("category", String(32), ForeignKey("risk_category.slug"), nullable=False),
    Column("summary", Text, nullable=False),
    _source_fk(),
    Column("section", Text),
    Index("ix_salient_risk_material", "material"),
)

salient_risk_stage = Table(
    "salient_risk_stage", metadata,
    Column("risk_id", Integer, ForeignKey("salient_risk.id"), primary_key=True),
    Column("stage", String(32), ForeignKey("stage.slug"), primary_key=True),
)

risk_evidence = Table(
    "risk_evidence", metadata,
    Column("id", String(32), primary_key=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("stage", String(32), ForeignKey("stage.slug"), nullable=False),
    Column("category", String(32), ForeignKey("risk_category.slug"), nullable=False),
    Column("country_name", Text),
    Column("iso3", String(3), ForeignKey("country.iso3")),
    Column("company", Text),
    Column("site", Text),
    Column("year", Integer),
    Column("scale", Integer, nullable=False),
    Column("scope", Integer, nullable=False),
    Column("irremediability", Integer, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("url", Text),
    _source_fk(),
    Column("section", Text),
    # Revision 0005: how firmly the report supports the case (constants.CONFIDENCE_LEVELS), why,
    # and the report passage it shares with other cases.  Cases of one passage (one sentence of
    # the report split into several places or risks) count once wherever evidence is counted;
    # NULL = a passage of its own.  NULL confidence = not assessed (an editor's older upload).
    Column("confidence", String(16)),
    Column("confidence_reason", Text),
    Column("passage", String(64)),
    CheckConstraint("severity BETWEEN 1 AND 5", name="ck_evidence_severity"),
    # Indexes for the evidence filters and aggregates.  The aggregates of
    # rmo_data.store.queries (evidence_cube, evidence_where and the page of row ids)
    # each read one covering index whatever the usual filters (material, stage,
    # category, severity), so counting a large store never touches its rows.  The
    # passage is their last column (0005): the aggregates group by it to count a passage once.
    Index("ix_evidence_filters", "material", "stage", "category", "severity", "id", "passage"),
    Index("ix_evidence_places", "iso3", "country_name", "source_id", "year",
          "material", "stage", "category", "severity", "passage"),
    # The same for a choice of materials, which the index above can only scan in full.
    Index("ix_evidence_material_places", "material", "iso3", "country_name", "source_id", "year",
          "stage", "category", "severity", "passage"),
    Index("ix_evidence_order", "severity", "material", "id"),  # one page of rows, most severe first
    Index("ix_evidence_country_name", "country_name"),  # country filter and its options
    Index("ix_evidence_company", "company"),  # company filter and its options
)

organisation = Table(
    "organisation", metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("acronym", Text),
    Column("type", String(32), nullable=False),
    Column("description", Text),
    Column("url", Text),
    Column("is_material_standard", Boolean, nullable=False, default=False),
    _source_fk(),
    Column("section", Text),
)

organisation_material = Table(
    "organisation_material", metadata,
    Column("organisation", String(64), ForeignKey("organisation.slug"), primary_key=True),
    Column("material", String(32), ForeignKey("material.slug"), primary_key=True),
    Index("ix_organisation_material_material", "material"),  # the primary key leads with organisation
)

leverage = Table(
    "leverage", metadata,
    Column("id", String(32), primary_key=True),
    Column("material", String(32), ForeignKey("material.slug")),  # NULL = cross-material
    Column("category", String(16), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("action", Text, nullable=False),
    _source_fk(),
    Column("section", Text, nullable=False),
    Index("ix_leverage_material", "material"),
)

leverage_target = Table(
    "leverage_target", metadata,
    Column("leverage_id", String(32), ForeignKey("leverage.id"), primary_key=True),
    Column("target", String(32), primary_key=True),
    Index("ix_leverage_target_target", "target"),  # card filters look up by the second column
)
leverage_stage = Table(
    "leverage_stage", metadata,
    Column("leverage_id", String(32), ForeignKey("leverage.id"), primary_key=True),
    Column("stage", String(32), ForeignKey("stage.slug"), primary_key=True),
    Index("ix_leverage_stage_stage", "stage"),
)
leverage_risk = Table(
    "leverage_risk", metadata,
    Column("leverage_id", String(32), ForeignKey("leverage.id"), primary_key=True),
    Column("category", String(32), ForeignKey("risk_category.slug"), primary_key=True),
    Index("ix_leverage_risk_category", "category"),
)
leverage_organisation = Table(
    "leverage_organisation", metadata,
    Column("leverage_id", String(32), ForeignKey("leverage.id"), primary_key=True),
    Column("organisation", String(64), ForeignKey("organisation.slug"), primary_key=True),
    Index("ix_leverage_organisation_organisation", "organisation"),
)

other_sector = Table(
    "other_sector", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("sector", Text, nullable=False),
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
)

governance_indicator = Table(
    "governance_indicator", metadata,
    Column("iso3", String(3), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("indicator", String(2), primary_key=True),  # va pv ge rq rl cc
    Column("country_name", Text, nullable=False),
    Column("estimate", Float),
    _source_fk(),
)

eu_crm = Table(
    "eu_crm", metadata,
    Column("material", String(32), ForeignKey("material.slug"), primary_key=True),
    Column("eu_name", Text, primary_key=True),
    Column("supply_risk", Float),
    Column("economic_importance", Float),
    Column("eol_rir_pct", Float),
    Column("import_reliance_primary_pct", Float),
    Column("import_reliance_refined_pct", Float),
    Column("bottleneck_stage", Text),
    Column("is_primary", Boolean, nullable=False, default=True),
    _source_fk(),
)

# --- revision 0005: figures, themes and regulatory lists as structured rows ------------

# A figure the report states only in its text (a share of emissions, kg per vehicle, a rank),
# kept as numbers with its unit, year and source; NULL material = a cross-material figure.
material_fact = Table(
    "material_fact", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug")),
    Column("metric", Text, nullable=False),
    Column("value_low", Float),  # NULL = the statement gives no figure
    Column("value_high", Float),  # the top of a range ("7 to 9 %"); NULL for a single figure
    Column("bound", String(8)),  # eq | approx | ge | le, as end_use_share
    Column("unit", Text, nullable=False),
    Column("year", Integer),
    Column("year_basis", String(16)),  # constants.YEAR_BASES
    Column("statement", Text, nullable=False),
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
    Index("ix_material_fact_material", "material"),
)

# The report's cross-material points that are not leverage cards: its five summary
# recommendations and its point on needing less new material (constants.REPORT_THEME_KINDS).
report_theme = Table(
    "report_theme", metadata,
    Column("slug", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("sort_order", Integer, nullable=False),
    _source_fk(),
    Column("section", Text),
)

# A material's entry in an EU list (constants.REGULATIONS): data only, one row per material and list.
regulatory_listing = Table(
    "regulatory_listing", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("material", String(32), ForeignKey("material.slug"), nullable=False),
    Column("regulation", String(32), nullable=False),
    Column("listing", Text, nullable=False),  # the entry as the regulation names it
    Column("note", Text),
    _source_fk(),
    Column("section", Text),
    UniqueConstraint("material", "regulation", name="uq_regulatory_listing"),
)

build_info = Table(
    "build_info", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)

# --- user-made state: kept across rebuilds -------------------------------

scenario = Table(
    "scenario", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("weights_json", Text, nullable=False),
    Column("materials_json", Text),
    Column("note", Text),
    Column("created_by", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

workshop = Table(
    "workshop", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("materials_json", Text, nullable=False),
    Column("criteria_json", Text, nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("result_json", Text),
    # Who created it (the signed-in user): they or an editor may close it. NULL before revision 0003.
    Column("created_by", Text),
    # Revision 0004, the room: "named" or "anonymous" (no name stored), "sliders" or "pairwise",
    # the most devices that may join (NULL: no limit), when the result was shown to the room in the
    # current round (NULL: hidden), the current round (1 or 2) and the earlier rounds frozen as JSON.
    Column("mode", String(16), nullable=False, server_default="named"),
    Column("method", String(16), nullable=False, server_default="sliders"),
    Column("capacity", Integer),
    Column("revealed_at", DateTime(timezone=True)),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("rounds_json", Text),
)

# One row per device that opened a workshop's join link (revision 0004): the device's private token
# is drawn and registered on its first open, so a reload, a double submit or a submit retried after a
# lost connection finds the same participant. ``seq`` numbers the devices in order of joining (the
# "Participant N" of an anonymous workshop); the workshop's capacity counts these rows.
workshop_device = Table(
    "workshop_device", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshop.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("token_hash", name="uq_device_token"),
    UniqueConstraint("workshop_id", "seq", name="uq_device_seq"),
)

participant_weights = Table(
    "participant_weights", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshop.id"), nullable=False),
    Column("participant", String(120), nullable=False),
    Column("weights_json", Text, nullable=False),
    Column("flagged_json", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    # SHA-256 of the participant's private token (rmo_data.workshops.participants): only its holder may revise.
    # NULL for submissions made before revision 0003, which can no longer be revised.
    Column("token_hash", String(64)),
    # The pairwise comparisons behind the weights, when the workshop weighs pairwise (revision 0004).
    Column("pairwise_json", Text),
    UniqueConstraint("workshop_id", "participant", name="uq_participant"),
    Index("ix_participant_token", "token_hash", unique=True),
)

action_plan_item = Table(
    "action_plan_item", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("leverage_id", String(32), nullable=False),
    Column("owner", Text),
    Column("due_date", Date),
    Column("status", String(16), nullable=False, default="planned"),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("row_key", Text),
    Column("before_json", Text),
    Column("after_json", Text),
    # The editor's change set this row belongs to (rmo_data.stewardship.change_sets); NULL for other writes.
    Column("change_set_id", Integer),
    Index("ix_audit_log_change_set", "change_set_id"),
)

# An editor's upload applied to reference tables (or the rollback of one).  Its
# rows are the audit_log rows carrying its id; a rebuild re-applies the upload
# change sets that are still active (rmo_data.stewardship.reapply), so editors'
# work survives a rebuild from the repository's files.
change_set = Table(
    "change_set", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # upload | rollback
    Column("table_name", String(64), nullable=False),
    Column("file_name", Text),
    Column("mode", String(16)),  # upsert | replace (uploads)
    Column("status", String(24), nullable=False),  # active | partly_rolled_back | rolled_back
    Column("reverts_id", Integer),  # a rollback: the change set it undoes (whole or part)
    Column("reverted_audit_json", Text),  # ids of this set's audit rows rolled back since
    Column("counts_json", Text),
    Column("note", Text),  # what the last rebuild did with it
)

# --- the data version: what every cache of every app server follows ------------

data_version = Table(
    "data_version", metadata,
    # One row per kind of data: reference data (build, change sets, rollbacks), the plan,
    # scenarios and workshops, so a workshop vote does not drop every server's cached reference reads.
    Column("scope", String(16), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Bumped when a table or column is added, so exports say which layout they hold.
SCHEMA_VERSION: Final[str] = "4"
# Bumped when the build fills the reference tables differently; the build writes it to
# build_info and the store export to its manifest.
BUILD_VERSION: Final[str] = "2"

USER_TABLES: Final[tuple[Table, ...]] = (
    scenario, workshop, participant_weights, workshop_device, action_plan_item, audit_log, change_set,
)
# Neither reference data nor user-made: a build bumps it; a build into a new SQLite file starts it afresh.
STATE_TABLES: Final[tuple[Table, ...]] = (data_version,)
REFERENCE_TABLES: Final[tuple[Table, ...]] = tuple(
    t for t in metadata.sorted_tables if t not in USER_TABLES and t not in STATE_TABLES
)

"""Schema migrations: the head equals schema.py, and stores keep their user-made rows.

Every test runs on the run's backend (SQLite files, or PostgreSQL databases
in the PostgreSQL run).  A store made before migrations is simulated by
dropping the ``alembic_version`` table of a built store.  A later schema
change is simulated with a copy of the migration scripts plus a trivial
revision ``0002`` in a temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import sqlalchemy as sa
from sqlalchemy import inspect, select

from rmo_data.store import migrate
from rmo_data.store import schema
from rmo_data.ingest.build import build, ensure_store
from rmo_data.store.engine import make_engine
from tests.apptest import app_for
from tests.conftest import Stores
from tests.userrows import add_user_rows, kept, user_rows

ROOT = Path(__file__).resolve().parents[2]

EXTRA_REVISION = '''"""Test revision: a nullable column on scenario and a new user table."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenario") as batch:
        batch.add_column(sa.Column("colour", sa.String(16), nullable=True))
    op.create_table("test_extra", sa.Column("id", sa.Integer, primary_key=True))
    FAIL


def downgrade() -> None:
    op.drop_table("test_extra")
    with op.batch_alter_table("scenario") as batch:
        batch.drop_column("colour")
'''


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrate.current_revision(conn)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _to_baseline(url: str) -> None:
    """Take a store back to revision 0001, the schema of the stores made before migrations."""
    command.downgrade(migrate.alembic_config(url), migrate.BASELINE)
    assert _revision(url) == migrate.BASELINE


def _forget_alembic(url: str) -> None:
    """Turn a store into one made before migrations existed."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {migrate.VERSION_TABLE}")
    engine.dispose()


def _scripts_with_extra_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
    """Point rmo_data.store.migrate at a copy of the scripts that adds revision 0002."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    body = EXTRA_REVISION.replace("    FAIL\n", '    raise RuntimeError("migration broke")\n' if fail else "")
    body = body.replace('"HEAD"', repr(migrate.head_revision()))  # on top of the real head, whatever it is
    (scripts / "versions" / "9001_test_extra.py").write_text(body, encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)


def test_head_matches_the_schema(stores: Stores) -> None:
    """`alembic check`: the migrations create exactly what schema.py declares."""
    url = stores.blank("migrated")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, schema.metadata) == []
            assert migrate.current_revision(conn) == migrate.head_revision()
    finally:
        engine.dispose()
        stores.discard(url)


def test_built_store_is_at_head(built_url: str) -> None:
    assert _revision(built_url) == migrate.head_revision()
    assert migrate.VERSION_TABLE in _tables(built_url)


def test_store_made_before_migrations_is_adopted_with_its_rows(store_copy_url: str) -> None:
    _to_baseline(store_copy_url)
    before = add_user_rows(store_copy_url)
    assert "change_set" not in before  # the baseline has no editors' change sets
    _forget_alembic(store_copy_url)
    assert _revision(store_copy_url) is None
    assert ensure_store(store_copy_url) == "ok"  # what the app runs at start-up
    assert _revision(store_copy_url) == migrate.head_revision()
    assert "change_set_id" in _columns(store_copy_url, "audit_log")
    assert kept(user_rows(store_copy_url), before) == before
    # And a rebuild of a store made before migrations keeps them too.
    _to_baseline(store_copy_url)
    _forget_alembic(store_copy_url)
    build(store_copy_url)
    assert _revision(store_copy_url) == migrate.head_revision()
    assert kept(user_rows(store_copy_url), before) == before


def test_head_store_keeps_every_user_row_through_a_rebuild(store_copy_url: str) -> None:
    before = add_user_rows(store_copy_url)
    assert before["change_set"], "an editor's change set is among the rows"
    build(store_copy_url)
    assert user_rows(store_copy_url) == before
    engine = make_engine(store_copy_url)
    try:  # and the rebuild wrote the editor's upload again over the rebuilt evidence
        with engine.connect() as conn:
            assert conn.execute(select(schema.risk_evidence.c.id).where(
                schema.risk_evidence.c.id == "EV-KEPT-01")).first() is not None
    finally:
        engine.dispose()


def test_app_start_migrates_an_old_store(store_copy_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _to_baseline(store_copy_url)
    before = add_user_rows(store_copy_url)
    _forget_alembic(store_copy_url)
    at = app_for(store_copy_url, monkeypatch).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _revision(store_copy_url) == migrate.head_revision()
    assert kept(user_rows(store_copy_url), before) == before


def test_a_new_revision_keeps_every_user_row(store_copy_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A store at the baseline with rows in every user table, upgraded by a later revision."""
    before = add_user_rows(store_copy_url)
    _scripts_with_extra_revision(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)  # the upgrade finds its scripts without help from the working folder
    migrate.upgrade(store_copy_url)
    assert _revision(store_copy_url) == "9001"
    assert "colour" in _columns(store_copy_url, "scenario")
    assert "test_extra" in _tables(store_copy_url)
    after = user_rows(store_copy_url)
    assert [{k: v for k, v in r.items() if k != "colour"} for r in after.pop("scenario")] == before.pop("scenario")
    assert after == before


def test_a_failing_revision_changes_nothing(store_copy_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    before = add_user_rows(store_copy_url)
    head = migrate.head_revision()
    _scripts_with_extra_revision(tmp_path, monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="migration broke"):
        migrate.upgrade(store_copy_url)
    # Both backends ran the DDL inside the rolled-back transaction.
    assert _revision(store_copy_url) == head
    assert "colour" not in _columns(store_copy_url, "scenario")
    assert "test_extra" not in _tables(store_copy_url)
    assert user_rows(store_copy_url) == before


def test_rebuild_after_a_new_revision_keeps_rows_and_revision(store_copy_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The build migrates the old store first, so a revision's new column survives the rebuild."""
    before = add_user_rows(store_copy_url)
    _scripts_with_extra_revision(tmp_path, monkeypatch)
    engine = make_engine(store_copy_url)
    try:
        migrate.upgrade(store_copy_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE scenario SET colour = 'teal'")
    finally:
        engine.dispose()
    build(store_copy_url)
    assert _revision(store_copy_url) == "9001"
    engine = make_engine(store_copy_url)
    try:
        with engine.connect() as conn:
            colours = conn.exec_driver_sql("SELECT colour FROM scenario").scalars().all()
            names = conn.execute(select(schema.scenario.c.name)).scalars().all()
    finally:
        engine.dispose()
    assert colours == ["teal"] and names == [r["name"] for r in before["scenario"]]


def test_revision_0004_gives_older_workshops_the_room_defaults(store_copy_url: str) -> None:
    """A workshop and a submission made at revision 0003 read as named, sliders, no limit, round 1,
    unrevealed after the upgrade; the old submission's device is registered when its token comes back."""
    from rmo_data.workshops import lifecycle, participants

    command.downgrade(migrate.alembic_config(store_copy_url), "0003")
    assert "workshop_device" not in _tables(store_copy_url)
    token = participants.new_token()
    engine = make_engine(store_copy_url)
    try:
        with engine.begin() as conn:
            meta = sa.MetaData()
            ws_t = sa.Table("workshop", meta, autoload_with=conn)
            pw_t = sa.Table("participant_weights", meta, autoload_with=conn)
            now = sa.func.current_timestamp()
            ws_id = conn.execute(sa.insert(ws_t).values(
                code="ABCD23", name="Old room", materials_json='["zinc", "nickel"]',
                criteria_json='["severity", "auto_share"]', status="open", created_at=now)).inserted_primary_key[0]
            conn.execute(sa.insert(pw_t).values(workshop_id=ws_id, participant="Ana", weights_json='{"severity": 8}',
                                                flagged_json="[]", submitted_at=now,
                                                token_hash=participants.hash_token(token)))
    finally:
        engine.dispose()
    command.upgrade(migrate.alembic_config(store_copy_url), "head")
    engine = make_engine(store_copy_url)
    try:
        ws = lifecycle.get_workshop("ABCD23", engine)
        assert (ws["mode"], ws["method"], ws["capacity"], ws["round"], ws["revealed_at"], ws["rounds"]) == \
            ("named", "sliders", None, 1, None, [])
        assert lifecycle.phase_of("ABCD23", engine) == "open · round 1 · hidden"
        found = lifecycle.join("ABCD23", token, engine=engine)  # the old link still opens Ana's answer
        assert found["token"] == token and not found["new"]
        revised = lifecycle.submit_weights("ABCD23", None, {"severity": 2, "auto_share": 2}, engine=engine,
                                           token=token)
        assert revised["revised"] and revised["participant"] == "Ana"
    finally:
        engine.dispose()


def test_revision_0005_upgrades_a_0004_store_and_keeps_its_rows(store_copy_url: str) -> None:
    """A store at 0004 (evidence, statements and user rows in it) upgraded to 0005: every row stays,
    the new columns are there and empty until a build fills them, the new tables exist."""
    # User rows go in through today's code (an editor's upload needs today's columns); 0005 changes
    # no user table, so the same rows must come back after the way down and up.
    before_users = add_user_rows(store_copy_url)
    command.downgrade(migrate.alembic_config(store_copy_url), "0004")
    assert _revision(store_copy_url) == "0004"
    assert not {"material_fact", "report_theme", "regulatory_listing"} & _tables(store_copy_url)
    assert "confidence" not in _columns(store_copy_url, "risk_evidence")
    assert "year_basis" not in _columns(store_copy_url, "concentration_statement")
    assert user_rows(store_copy_url) == before_users
    engine = make_engine(store_copy_url)
    try:
        with engine.connect() as conn:
            evidence = conn.exec_driver_sql("SELECT id, summary, severity FROM risk_evidence ORDER BY id").all()
            statements = conn.exec_driver_sql(
                "SELECT id, statement FROM concentration_statement ORDER BY id").all()
    finally:
        engine.dispose()
    assert len(evidence) > 50 and statements

    command.upgrade(migrate.alembic_config(store_copy_url), "0005")
    assert _revision(store_copy_url) == "0005"
    assert {"confidence", "confidence_reason", "passage"} <= _columns(store_copy_url, "risk_evidence")
    assert {"year_basis", "country_name", "iso3"} <= _columns(store_copy_url, "concentration_statement")
    assert {"material_fact", "report_theme", "regulatory_listing"} <= _tables(store_copy_url)
    engine = make_engine(store_copy_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT id, summary, severity FROM risk_evidence ORDER BY id").all() == evidence
            assert conn.exec_driver_sql(
                "SELECT id, statement FROM concentration_statement ORDER BY id").all() == statements
            # Nothing is invented for the old rows: the new columns stay empty until a build.
            assert conn.exec_driver_sql(
                "SELECT COUNT(*) FROM risk_evidence WHERE confidence IS NOT NULL OR passage IS NOT NULL"
            ).scalar() == 0
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM material_fact").scalar() == 0
            index = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("risk_evidence")}
            assert index["ix_evidence_filters"][-1] == "passage"
    finally:
        engine.dispose()
    assert user_rows(store_copy_url) == before_users
    # The next build fills the new columns and tables, and still keeps the user rows.
    build(store_copy_url)
    engine = make_engine(store_copy_url)
    try:
        with engine.connect() as conn:
            # Every seed case is assessed; only the editor's upload (made without the column) is not.
            assert conn.exec_driver_sql(
                "SELECT id FROM risk_evidence WHERE confidence IS NULL").scalars().all() == ["EV-KEPT-01"]
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM regulatory_listing").scalar() > 0
    finally:
        engine.dispose()
    assert user_rows(store_copy_url) == before_users

"""Editors' change sets: the ``change_set`` table and ``audit_log.change_set_id``.

An upload applied on the Data management page (``rmo_data.stewardship.change_sets``) is
one change set; each row it writes gets an audit row carrying the set's id, so
a set can be rolled back and re-applied after a rebuild.  Existing audit rows
keep a NULL change set (they come from scenarios, plans and workshops).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the change-set table and the audit log's link to it."""
    op.create_table('change_set',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reverts_id', sa.Integer(), nullable=True),
    sa.Column('reverted_audit_json', sa.Text(), nullable=True),
    sa.Column('counts_json', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    # A plain ADD COLUMN: SQLite and PostgreSQL both take it without rebuilding the table.
    op.add_column('audit_log', sa.Column('change_set_id', sa.Integer(), nullable=True))
    op.create_index('ix_audit_log_change_set', 'audit_log', ['change_set_id'], unique=False)


def downgrade() -> None:
    """Drop them again (audit rows keep everything but their change-set id)."""
    op.drop_index('ix_audit_log_change_set', table_name='audit_log')
    with op.batch_alter_table('audit_log') as batch:  # SQLite drops a column through a table copy
        batch.drop_column('change_set_id')
    op.drop_table('change_set')

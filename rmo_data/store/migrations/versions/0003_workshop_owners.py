"""Workshop owners: ``workshop.created_by`` and ``participant_weights.token_hash``.

A workshop records who created it (its facilitator may close it, as may an
editor), and each submission holds the SHA-256 of its participant's private
token, so only the holder of that token can revise it; a name alone never
reopens a submission.  Rows made before this revision keep NULL in both:
such a workshop may be closed by any partner, such a submission can no
longer be revised (its name stays taken).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns and the token index (plain ADD COLUMN on both backends)."""
    op.add_column('workshop', sa.Column('created_by', sa.Text(), nullable=True))
    op.add_column('participant_weights', sa.Column('token_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_participant_token', 'participant_weights', ['token_hash'], unique=True)


def downgrade() -> None:
    """Drop them again (SQLite drops a column through a table copy)."""
    op.drop_index('ix_participant_token', table_name='participant_weights')
    with op.batch_alter_table('participant_weights') as batch:
        batch.drop_column('token_hash')
    with op.batch_alter_table('workshop') as batch:
        batch.drop_column('created_by')

"""The workshop room: modes, methods, capacity, reveal, rounds, and the devices that joined.

``workshop`` gains ``mode`` (named or anonymous), ``method`` (sliders or
pairwise), ``capacity``, ``revealed_at``, ``round`` and ``rounds_json``;
``participant_weights`` gains ``pairwise_json``; the new ``workshop_device``
table holds one row per device that opened a join link (the SHA-256 of its
token, its number in the workshop, when it joined).  Workshops made before
this revision read as named, weighed with sliders, with no limit, unrevealed,
in round 1: the server defaults fill those columns on both backends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns (NOT NULL ones with a server default, so existing rows get it) and the table."""
    op.add_column('workshop', sa.Column('mode', sa.String(length=16), nullable=False, server_default='named'))
    op.add_column('workshop', sa.Column('method', sa.String(length=16), nullable=False,
                                        server_default='sliders'))
    op.add_column('workshop', sa.Column('capacity', sa.Integer(), nullable=True))
    op.add_column('workshop', sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('workshop', sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('workshop', sa.Column('rounds_json', sa.Text(), nullable=True))
    op.add_column('participant_weights', sa.Column('pairwise_json', sa.Text(), nullable=True))
    op.create_table(
        'workshop_device',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash', name='uq_device_token'),
        sa.UniqueConstraint('workshop_id', 'seq', name='uq_device_seq'),
    )


def downgrade() -> None:
    """Drop the table and the columns again (SQLite drops columns through a table copy)."""
    op.drop_table('workshop_device')
    with op.batch_alter_table('participant_weights') as batch:
        batch.drop_column('pairwise_json')
    with op.batch_alter_table('workshop') as batch:
        for column in ('rounds_json', 'round', 'revealed_at', 'capacity', 'method', 'mode'):
            batch.drop_column(column)

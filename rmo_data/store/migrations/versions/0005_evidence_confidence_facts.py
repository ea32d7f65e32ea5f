"""Evidence confidence and passages, dated concentration statements, facts, themes and EU lists.

``risk_evidence`` gains ``confidence`` (documented, reported or inferred),
``confidence_reason`` and ``passage`` (the report passage a case shares with
others, so such cases count once); its three covering indexes get ``passage``
as their last column so the aggregates that group by it still read only the
index.  ``concentration_statement`` gains ``year_basis`` and the country it
names (``country_name``, ``iso3``).  Three new reference tables:
``material_fact`` (figures the report states in its text), ``report_theme``
(its summary recommendations and cross-cutting points) and
``regulatory_listing`` (materials in EU lists).  Every new column is nullable,
so rows of an older store stay as they are until the next build fills them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Covering indexes of risk_evidence: their columns before this revision; it appends "passage".
_EVIDENCE_INDEXES: dict[str, list[str]] = {
    'ix_evidence_filters': ['material', 'stage', 'category', 'severity', 'id'],
    'ix_evidence_places': ['iso3', 'country_name', 'source_id', 'year', 'material', 'stage', 'category',
                           'severity'],
    'ix_evidence_material_places': ['material', 'iso3', 'country_name', 'source_id', 'year', 'stage',
                                    'category', 'severity'],
}


def upgrade() -> None:
    """Add the nullable columns, rebuild the three indexes with the passage, create the tables."""
    op.add_column('risk_evidence', sa.Column('confidence', sa.String(length=16), nullable=True))
    op.add_column('risk_evidence', sa.Column('confidence_reason', sa.Text(), nullable=True))
    op.add_column('risk_evidence', sa.Column('passage', sa.String(length=64), nullable=True))
    for name, columns in _EVIDENCE_INDEXES.items():
        op.drop_index(name, table_name='risk_evidence')
        op.create_index(name, 'risk_evidence', [*columns, 'passage'], unique=False)
    # A batch (a table copy on SQLite) so the new foreign key exists on both backends.
    with op.batch_alter_table('concentration_statement') as batch:
        batch.add_column(sa.Column('year_basis', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('country_name', sa.Text(), nullable=True))
        batch.add_column(sa.Column('iso3', sa.String(length=3), nullable=True))
        batch.create_foreign_key('fk_concentration_statement_iso3', 'country', ['iso3'], ['iso3'])
    op.create_table(
        'material_fact',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('material', sa.String(length=32), nullable=True),
        sa.Column('metric', sa.Text(), nullable=False),
        sa.Column('value_low', sa.Float(), nullable=True),
        sa.Column('value_high', sa.Float(), nullable=True),
        sa.Column('bound', sa.String(length=8), nullable=True),
        sa.Column('unit', sa.Text(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('year_basis', sa.String(length=16), nullable=True),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('section', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['material'], ['material.slug']),
        sa.ForeignKeyConstraint(['source_id'], ['source.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_material_fact_material', 'material_fact', ['material'], unique=False)
    op.create_table(
        'report_theme',
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('section', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['source_id'], ['source.id']),
        sa.PrimaryKeyConstraint('slug'),
    )
    op.create_table(
        'regulatory_listing',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('material', sa.String(length=32), nullable=False),
        sa.Column('regulation', sa.String(length=32), nullable=False),
        sa.Column('listing', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('section', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['material'], ['material.slug']),
        sa.ForeignKeyConstraint(['source_id'], ['source.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('material', 'regulation', name='uq_regulatory_listing'),
    )


def downgrade() -> None:
    """Drop the tables, the columns and the passage from the indexes again."""
    op.drop_table('regulatory_listing')
    op.drop_table('report_theme')
    op.drop_index('ix_material_fact_material', table_name='material_fact')
    op.drop_table('material_fact')
    with op.batch_alter_table('concentration_statement') as batch:
        batch.drop_constraint('fk_concentration_statement_iso3', type_='foreignkey')
        for column in ('iso3', 'country_name', 'year_basis'):
            batch.drop_column(column)
    for name, columns in _EVIDENCE_INDEXES.items():
        op.drop_index(name, table_name='risk_evidence')
        op.create_index(name, 'risk_evidence', columns, unique=False)
    with op.batch_alter_table('risk_evidence') as batch:  # SQLite drops columns through a table copy
        for column in ('passage', 'confidence_reason', 'confidence'):
            batch.drop_column(column)

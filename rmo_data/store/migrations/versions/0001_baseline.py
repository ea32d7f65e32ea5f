"""Baseline: the schema as it was when migrations were introduced (December 2026).

Reference tables (rebuilt by every ``python -m rmo_data build``) and the user
tables that a rebuild keeps: scenario, workshop, participant_weights,
action_plan_item, audit_log.  Written out in full rather than taken from
``rmo_data.store.schema`` so that later changes to the schema never change what this
revision creates.  Stores made before migrations are stamped with this
revision (``rmo_data.store.migrate``).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table('action_plan_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('leverage_id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=True),
    sa.Column('before_json', sa.Text(), nullable=True),
    sa.Column('after_json', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('build_info',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('country',
    sa.Column('iso3', sa.String(length=3), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('iso_numeric', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('iso3')
    )
    op.create_table('risk_category',
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('pillar', sa.String(length=1), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('scenario',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weights_json', sa.Text(), nullable=False),
    sa.Column('materials_json', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('source',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('publisher', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('licence', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('feeds', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('stage',
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('workshop',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('materials_json', sa.Text(), nullable=False),
    sa.Column('criteria_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_json', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('governance_indicator',
    sa.Column('iso3', sa.String(length=3), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=2), nullable=False),
    sa.Column('country_name', sa.Text(), nullable=False),
    sa.Column('estimate', sa.Float(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('iso3', 'year', 'indicator')
    )
    op.create_table('material',
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('short_name', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('ore', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('automotive_uses', sa.Text(), nullable=True),
    sa.Column('automotive_relevance', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('organisation',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('acronym', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('is_material_standard', sa.Boolean(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('participant_weights',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('participant', sa.String(length=120), nullable=False),
    sa.Column('weights_json', sa.Text(), nullable=False),
    sa.Column('flagged_json', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workshop_id', 'participant', name='uq_participant')
    )
    op.create_table('commodity',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('company',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('country', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_company_material', 'company', ['material'], unique=False)
    op.create_table('concentration_statement',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('share_pct', sa.Float(), nullable=True),
    sa.Column('bound', sa.String(length=8), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('end_use_share',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('sector', sa.Text(), nullable=False),
    sa.Column('share_pct', sa.Float(), nullable=False),
    sa.Column('bound', sa.String(length=8), nullable=False),
    sa.Column('is_automotive', sa.Boolean(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.CheckConstraint('share_pct >= 0 AND share_pct <= 100', name='ck_end_use_share_pct'),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_end_use_share_material', 'end_use_share', ['material'], unique=False)
    op.create_table('eu_crm',
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('eu_name', sa.Text(), nullable=False),
    sa.Column('supply_risk', sa.Float(), nullable=True),
    sa.Column('economic_importance', sa.Float(), nullable=True),
    sa.Column('eol_rir_pct', sa.Float(), nullable=True),
    sa.Column('import_reliance_primary_pct', sa.Float(), nullable=True),
    sa.Column('import_reliance_refined_pct', sa.Float(), nullable=True),
    sa.Column('bottleneck_stage', sa.Text(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('material', 'eu_name')
    )
    op.create_table('leverage',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_leverage_material', 'leverage', ['material'], unique=False)
    op.create_table('material_link',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('linked_name', sa.Text(), nullable=False),
    sa.Column('linked_slug', sa.String(length=32), nullable=True),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['linked_slug'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('organisation_material',
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['organisation'], ['organisation.slug'], ),
    sa.PrimaryKeyConstraint('organisation', 'material')
    )
    op.create_index('ix_organisation_material_material', 'organisation_material', ['material'], unique=False)
    op.create_table('other_sector',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('sector', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('risk_evidence',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('country_name', sa.Text(), nullable=True),
    sa.Column('iso3', sa.String(length=3), nullable=True),
    sa.Column('company', sa.Text(), nullable=True),
    sa.Column('site', sa.Text(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('scale', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Integer(), nullable=False),
    sa.Column('irremediability', sa.Integer(), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.CheckConstraint('severity BETWEEN 1 AND 5', name='ck_evidence_severity'),
    sa.ForeignKeyConstraint(['category'], ['risk_category.slug'], ),
    sa.ForeignKeyConstraint(['iso3'], ['country.iso3'], ),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_evidence_company', 'risk_evidence', ['company'], unique=False)
    op.create_index('ix_evidence_country_name', 'risk_evidence', ['country_name'], unique=False)
    op.create_index('ix_evidence_filters', 'risk_evidence', ['material', 'stage', 'category', 'severity', 'id'], unique=False)
    op.create_index('ix_evidence_material_places', 'risk_evidence', ['material', 'iso3', 'country_name', 'source_id', 'year', 'stage', 'category', 'severity'], unique=False)
    op.create_index('ix_evidence_order', 'risk_evidence', ['severity', 'material', 'id'], unique=False)
    op.create_index('ix_evidence_places', 'risk_evidence', ['iso3', 'country_name', 'source_id', 'year', 'material', 'stage', 'category', 'severity'], unique=False)
    op.create_table('salient_risk',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('material', sa.String(length=32), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('section', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['category'], ['risk_category.slug'], ),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_salient_risk_material', 'salient_risk', ['material'], unique=False)
    op.create_table('company_stage',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('company_id', 'stage')
    )
    op.create_table('leverage_organisation',
    sa.Column('leverage_id', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['leverage_id'], ['leverage.id'], ),
    sa.ForeignKeyConstraint(['organisation'], ['organisation.slug'], ),
    sa.PrimaryKeyConstraint('leverage_id', 'organisation')
    )
    op.create_index('ix_leverage_organisation_organisation', 'leverage_organisation', ['organisation'], unique=False)
    op.create_table('leverage_risk',
    sa.Column('leverage_id', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['category'], ['risk_category.slug'], ),
    sa.ForeignKeyConstraint(['leverage_id'], ['leverage.id'], ),
    sa.PrimaryKeyConstraint('leverage_id', 'category')
    )
    op.create_index('ix_leverage_risk_category', 'leverage_risk', ['category'], unique=False)
    op.create_table('leverage_stage',
    sa.Column('leverage_id', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['leverage_id'], ['leverage.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('leverage_id', 'stage')
    )
    op.create_index('ix_leverage_stage_stage', 'leverage_stage', ['stage'], unique=False)
    op.create_table('leverage_target',
    sa.Column('leverage_id', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['leverage_id'], ['leverage.id'], ),
    sa.PrimaryKeyConstraint('leverage_id', 'target')
    )
    op.create_index('ix_leverage_target_target', 'leverage_target', ['target'], unique=False)
    op.create_table('production',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('commodity', sa.String(length=64), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('country_name', sa.Text(), nullable=False),
    sa.Column('iso3', sa.String(length=3), nullable=True),
    sa.Column('country_kind', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('value_flag', sa.String(length=16), nullable=True),
    sa.Column('is_estimate', sa.Boolean(), nullable=False),
    sa.Column('edition', sa.Text(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['commodity'], ['commodity.slug'], ),
    sa.ForeignKeyConstraint(['iso3'], ['country.iso3'], ),
    sa.ForeignKeyConstraint(['material'], ['material.slug'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_production_commodity', 'production', ['commodity', 'year'], unique=False)
    op.create_index('ix_production_lookup', 'production', ['material', 'stage', 'year'], unique=False)
    op.create_table('salient_risk_stage',
    sa.Column('risk_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['risk_id'], ['salient_risk.id'], ),
    sa.ForeignKeyConstraint(['stage'], ['stage.slug'], ),
    sa.PrimaryKeyConstraint('risk_id', 'stage')
    )


def downgrade() -> None:
    """Drop every table (children before parents)."""
    op.drop_table('salient_risk_stage')
    op.drop_index('ix_production_lookup', table_name='production')
    op.drop_index('ix_production_commodity', table_name='production')
    op.drop_table('production')
    op.drop_index('ix_leverage_target_target', table_name='leverage_target')
    op.drop_table('leverage_target')
    op.drop_index('ix_leverage_stage_stage', table_name='leverage_stage')
    op.drop_table('leverage_stage')
    op.drop_index('ix_leverage_risk_category', table_name='leverage_risk')
    op.drop_table('leverage_risk')
    op.drop_index('ix_leverage_organisation_organisation', table_name='leverage_organisation')
    op.drop_table('leverage_organisation')
    op.drop_table('company_stage')
    op.drop_index('ix_salient_risk_material', table_name='salient_risk')
    op.drop_table('salient_risk')
    op.drop_index('ix_evidence_places', table_name='risk_evidence')
    op.drop_index('ix_evidence_order', table_name='risk_evidence')
    op.drop_index('ix_evidence_material_places', table_name='risk_evidence')
    op.drop_index('ix_evidence_filters', table_name='risk_evidence')
    op.drop_index('ix_evidence_country_name', table_name='risk_evidence')
    op.drop_index('ix_evidence_company', table_name='risk_evidence')
    op.drop_table('risk_evidence')
    op.drop_table('other_sector')
    op.drop_index('ix_organisation_material_material', table_name='organisation_material')
    op.drop_table('organisation_material')
    op.drop_table('material_link')
    op.drop_index('ix_leverage_material', table_name='leverage')
    op.drop_table('leverage')
    op.drop_table('eu_crm')
    op.drop_index('ix_end_use_share_material', table_name='end_use_share')
    op.drop_table('end_use_share')
    op.drop_table('concentration_statement')
    op.drop_index('ix_company_material', table_name='company')
    op.drop_table('company')
    op.drop_table('commodity')
    op.drop_table('participant_weights')
    op.drop_table('organisation')
    op.drop_table('material')
    op.drop_table('governance_indicator')
    op.drop_table('workshop')
    op.drop_table('stage')
    op.drop_table('source')
    op.drop_table('scenario')
    op.drop_table('risk_category')
    op.drop_table('country')
    op.drop_table('build_info')
    op.drop_table('audit_log')
    op.drop_table('action_plan_item')

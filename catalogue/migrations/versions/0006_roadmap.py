"""roadmap: a committee's use cases, their partners and budget lines, and its priority
datasets

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import catalogue.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roadmap_use_case',
    sa.Column('minx', sa.Float(), nullable=True),
    sa.Column('miny', sa.Float(), nullable=True),
    sa.Column('maxx', sa.Float(), nullable=True),
    sa.Column('maxy', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('zones', sa.JSON(), nullable=False),
    sa.Column('drawn_geometry', sa.Text(), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('modified', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('committee_id', 'slug')
    )
    with op.batch_alter_table('roadmap_use_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_use_case_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roadmap_use_case_lead_id'), ['lead_id'], unique=False)

    op.create_table('roadmap_budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('funder', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['use_case_id'], ['roadmap_use_case.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('roadmap_budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_budget_line_use_case_id'), ['use_case_id'], unique=False)

    op.create_table('roadmap_dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('schema_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('modified', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['use_case_id'], ['roadmap_use_case.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('roadmap_dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_dataset_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roadmap_dataset_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roadmap_dataset_use_case_id'), ['use_case_id'], unique=False)

    op.create_table('roadmap_use_case_partner',
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['use_case_id'], ['roadmap_use_case.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('use_case_id', 'organization_id')
    )
    with op.batch_alter_table('roadmap_use_case_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_use_case_partner_organization_id'), ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roadmap_use_case_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_use_case_partner_organization_id'))

    op.drop_table('roadmap_use_case_partner')
    with op.batch_alter_table('roadmap_dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_dataset_use_case_id'))
        batch_op.drop_index(batch_op.f('ix_roadmap_dataset_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_roadmap_dataset_committee_id'))

    op.drop_table('roadmap_dataset')
    with op.batch_alter_table('roadmap_budget_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_budget_line_use_case_id'))

    op.drop_table('roadmap_budget_line')
    with op.batch_alter_table('roadmap_use_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_use_case_lead_id'))
        batch_op.drop_index(batch_op.f('ix_roadmap_use_case_committee_id'))

    op.drop_table('roadmap_use_case')

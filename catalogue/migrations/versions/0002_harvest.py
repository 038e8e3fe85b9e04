"""harvest sources, jobs and items; protected fields of datasets; harvested file copies

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import catalogue.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('harvest_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('validated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('validated_at', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('needs_review', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('harvest_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_source_organization_id'), ['organization_id'], unique=False)

    op.create_table('harvest_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('incremental', sa.Boolean(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Integer(), nullable=False),
    sa.Column('errored', sa.Integer(), nullable=False),
    sa.Column('linked', sa.Integer(), nullable=False),
    sa.Column('seen', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('started', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('finished', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('heartbeat', catalogue.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['harvest_source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('harvest_job', schema=None) as batch_op:
        batch_op.create_index('ix_harvest_job_source_status', ['source_id', 'status'], unique=False)

    op.create_table('harvest_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('remote_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('missing_since', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('first_seen', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['harvest_job.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['harvest_source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'remote_id')
    )
    with op.batch_alter_table('harvest_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_item_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_harvest_item_identifier'), ['identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_harvest_item_job_id'), ['job_id'], unique=False)

    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protected_fields', sa.JSON(), nullable=False,
                                      server_default='[]'))
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_copy', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_column('local_copy')
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_column('protected_fields')
    op.drop_table('harvest_item')
    op.drop_table('harvest_job')
    op.drop_table('harvest_source')

"""quality reports and expectation suites

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import catalogue.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expectation_suite',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('suite', sa.JSON(), nullable=False),
    sa.Column('updated', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id')
    )
    op.create_table('quality_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('schema_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('rubric_version', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('finished', catalogue.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quality_report', schema=None) as batch_op:
        batch_op.create_index('ix_quality_report_dataset_kind', ['dataset_id', 'kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_report_resource_id'), ['resource_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quality_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_report_resource_id'))
        batch_op.drop_index('ix_quality_report_dataset_kind')

    op.drop_table('quality_report')
    op.drop_table('expectation_suite')

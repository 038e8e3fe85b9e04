"""harvest jobs: how many remote datasets the portal announced (the progress bar's total)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('harvest_job') as batch:
        batch.add_column(sa.Column('expected', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('harvest_job') as batch:
        batch.drop_column('expected')

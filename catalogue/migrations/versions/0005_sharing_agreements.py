"""sharing agreements: requests and their events, agreements, signatures, grants, duties,
usage counters

Revision ID: 0005
Revises: 0004

On PostgreSQL agreements and signatures are insert-only, as the access log is.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import catalogue.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

INSERT_ONLY = ('agreement', 'agreement_signature')


def upgrade() -> None:
    op.create_table('access_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('legal_bases', sa.JSON(), nullable=False),
    sa.Column('personal_data', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('hosting_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('hosting_provider', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('hosting_qualification', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('subprocessors', sa.JSON(), nullable=True),
    sa.Column('dpia_reference', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('committee_decision', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('minimised_version', sa.Boolean(), nullable=False),
    sa.Column('start', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('end', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('max_requests', sa.Integer(), nullable=True),
    sa.Column('max_bytes', sa.BigInteger(), nullable=True),
    sa.Column('clauses', sa.JSON(), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('reviewer_org_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('submitted', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('precheck', sa.JSON(), nullable=False),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('modified', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['amends_id'], ['access_request.id'], ),
    sa.ForeignKeyConstraint(['committee_id'], ['committee.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['reviewer_org_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_request_state'), ['state'], unique=False)

    op.create_table('access_request_dataset',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['access_request.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'dataset_id')
    )
    with op.batch_alter_table('access_request_dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_request_dataset_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('access_request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('time', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['access_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('access_request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_request_event_request_id'), ['request_id'], unique=False)

    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('policy_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['access_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    op.create_table('access_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('revoked', catalogue.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grant_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('agreement_duty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('clause', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('due', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('fulfilled', catalogue.models.UTCDateTime(), nullable=True),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agreement_duty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_duty_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_duty_due'), ['due'], unique=False)

    op.create_table('agreement_signature',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('agreement_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signed', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('agreement_id', 'party')
    )
    op.create_table('agreement_usage',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('last_access', catalogue.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.PrimaryKeyConstraint('agreement_id')
    )
    if op.get_bind().dialect.name == 'postgresql':
        # The function was created by 0004: a signed agreement is changed by no one.
        for table in INSERT_ONLY:
            op.execute(f'REVOKE UPDATE, DELETE ON {table} FROM PUBLIC, CURRENT_USER')
            op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                       'FOR EACH ROW EXECUTE FUNCTION access_log_append_only()')



def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in INSERT_ONLY:
            op.execute(f'DROP TRIGGER {table}_append_only ON {table}')
    op.drop_table('agreement_usage')
    op.drop_table('agreement_signature')
    with op.batch_alter_table('agreement_duty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_duty_due'))
        batch_op.drop_index(batch_op.f('ix_agreement_duty_agreement_id'))

    op.drop_table('agreement_duty')
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grant_agreement_id'))

    op.drop_table('access_grant')
    op.drop_table('agreement')
    with op.batch_alter_table('access_request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_request_event_request_id'))

    op.drop_table('access_request_event')
    with op.batch_alter_table('access_request_dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_request_dataset_dataset_id'))

    op.drop_table('access_request_dataset')
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_request_state'))
        batch_op.drop_index(batch_op.f('ix_access_request_requester_id'))

    op.drop_table('access_request')

"""access log: entries, subtree hashes, head, signed checkpoints, person keys

Revision ID: 0004
Revises: 0003

On PostgreSQL the entries, subtree hashes and checkpoints are append-only: UPDATE and DELETE
are revoked and a trigger refuses them anyway (TRUNCATE stays possible, for tests).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import catalogue.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APPEND_ONLY = ('access_log_entry', 'access_log_node', 'access_log_checkpoint')


def upgrade() -> None:
    op.create_table('access_log_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('access_log_entry',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.Column('entry', sa.Text(), nullable=False),
    sa.Column('leaf_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('access_log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('access_log_node',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('level', 'position')
    )
    op.create_table('person_key',
    sa.Column('person_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created', catalogue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_hash')
    )
    with op.batch_alter_table('person_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_key_user_id'), ['user_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the access log is append-only: % on % refused',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$""")
        for table in APPEND_ONLY:
            op.execute(f'REVOKE UPDATE, DELETE ON {table} FROM PUBLIC, CURRENT_USER')
            op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                       'FOR EACH ROW EXECUTE FUNCTION access_log_append_only()')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f'DROP TRIGGER {table}_append_only ON {table}')
        op.execute('DROP FUNCTION access_log_append_only()')
    with op.batch_alter_table('person_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_key_user_id'))

    op.drop_table('person_key')
    op.drop_table('access_log_node')
    op.drop_table('access_log_head')
    op.drop_table('access_log_entry')
    op.drop_table('access_log_checkpoint')

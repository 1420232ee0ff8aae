"""history chain: hash-chained, append-only history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00

Adds the chain columns to `history` and the chain heads, chains the steps a database already
holds (in id order, as they are now: verify-audit passes right after the upgrade), and on
PostgreSQL installs the trigger that refuses UPDATE and DELETE on history.
"""
from alembic import op
import sqlalchemy as sa

# The migration must write exactly what the verifier checks, so it uses the chain's own hashing;
# the table is described as it stands at this revision, not as the models may grow later.
from kaohe_flow.audit.chain import rebuild_chain, refuse_rewrite_ddl


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

HISTORY_AT_0006 = sa.table(
    'history',
    sa.column('id', sa.Integer()),
    sa.column('record_kind', sa.String(16)),
    sa.column('record_id', sa.Integer()),
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('user_id', sa.Integer()),
    sa.column('username', sa.String(64)),
    sa.column('capacity', sa.String(24)),
    sa.column('action', sa.String(24)),
    sa.column('from_state', sa.String(20)),
    sa.column('to_state', sa.String(20)),
    sa.column('comment', sa.Text()),
    sa.column('field', sa.String(64)),
    sa.column('old', sa.Text()),
    sa.column('new', sa.Text()),
    sa.column('items', sa.JSON()),
    sa.column('chain_seq', sa.Integer()),
    sa.column('chain_prev', sa.String(64)),
    sa.column('chain_hash', sa.String(64)),
)


def upgrade():
    op.create_table('audit_chain_heads',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_audit_chain_heads'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_prev', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))

    rebuild_chain(op.get_bind(), HISTORY_AT_0006)

    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.alter_column('chain_seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('chain_prev', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('chain_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_history_chain_seq'), ['chain_seq'])

    if op.get_bind().dialect.name == 'postgresql':
        for statement in refuse_rewrite_ddl('history') + refuse_rewrite_ddl('audit_chain_heads', 'DELETE'):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_chain_heads_append_only ON audit_chain_heads')
        op.execute('DROP TRIGGER IF EXISTS history_append_only ON history')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_history_chain_seq'), type_='unique')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_prev')
        batch_op.drop_column('chain_seq')

    op.drop_table('audit_chain_heads')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS kaohe_refuse_rewrite()')

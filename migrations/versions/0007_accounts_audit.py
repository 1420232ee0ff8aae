"""accounts and the admin's audit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:10:00

Adds `users.must_change_password` (false for every existing account) and the append-only,
hash-chained `audit` table (empty: its chain starts at the first entry), with the trigger that
refuses UPDATE and DELETE on PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

from kaohe_flow.audit.chain import refuse_rewrite_ddl

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object', sa.String(length=200), nullable=False),
    sa.Column('old', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('new', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('chain_seq', sa.Integer(), nullable=False),
    sa.Column('chain_prev', sa.String(length=64), nullable=False),
    sa.Column('chain_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit')),
    sa.UniqueConstraint('chain_seq', name=op.f('uq_audit_chain_seq'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index('ix_audit_action', ['action'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        for statement in refuse_rewrite_ddl('audit'):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_append_only ON audit')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_action')
    op.drop_table('audit')
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:  # a head is never deleted by the app; the downgrade drops the whole chain
        op.execute('ALTER TABLE audit_chain_heads DISABLE TRIGGER audit_chain_heads_append_only')
    op.execute(sa.text("DELETE FROM audit_chain_heads WHERE name = 'audit'"))
    if postgresql:
        op.execute('ALTER TABLE audit_chain_heads ENABLE TRIGGER audit_chain_heads_append_only')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

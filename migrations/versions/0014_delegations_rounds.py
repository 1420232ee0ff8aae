"""delegations, and who signed for whom (issue 9)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:15:00

`delegations`: a head or a leader hands their capacities to someone for a range of days.
`signatures.on_behalf_of_id`, `bonus_signatures.on_behalf_of_id` and `history.on_behalf_of`
say "A 代 B". Adding a NULL column to `history` leaves every stored hash valid: the chain hashes
non-NULL columns only. Rounds are counted from the history's returns and reopens; nothing stored.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delegator_id', sa.Integer(), nullable=False),
        sa.Column('delegate_id', sa.Integer(), nullable=False),
        sa.Column('from_date', sa.Date(), nullable=False),
        sa.Column('to_date', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index('ix_delegations_delegate_dates', ['delegate_id', 'from_date', 'to_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_delegator_id'), ['delegator_id'], unique=False)
    for table in ('signatures', 'bonus_signatures'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_on_behalf_of_id_users', 'users', ['on_behalf_of_id'], ['id'])
    # Plain ADD COLUMN: `history` is append-only (a trigger refuses UPDATE and DELETE on
    # PostgreSQL), so no batch copy of the table.
    op.add_column('history', sa.Column('on_behalf_of', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_column('on_behalf_of')
    for table in ('bonus_signatures', 'signatures'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_on_behalf_of_id_users', type_='foreignkey')
            batch_op.drop_column('on_behalf_of_id')
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_delegator_id'))
        batch_op.drop_index('ix_delegations_delegate_dates')
    op.drop_table('delegations')

"""deadlines per year and state (issue 9)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:15:00

`deadlines`: the date by which a record of a year must leave a state (draft, gate_review,
responsible_sign, leader_sign); a state without a row has no deadline. `due_soon_days` is a
setting of the year whose default (3) a stored settings row without it reads, so no data moves.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deadlines',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('year', 'state'),
    )


def downgrade():
    op.drop_table('deadlines')

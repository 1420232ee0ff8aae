"""flat deduction rules: taken once, never counted

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:05:00

附件2 writes some deductions as a one-off "扣X分" with no 每… and no 有一例… (无科室学习笔记扣2分):
they are taken once, and a record of one carries no count above 1. `rules.flat` says so; the
2018 rules the data file now marks are marked in a database that already holds them.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

FLAT_2018 = ('study-4', 'study-5', 'legal_edu-2', 'legal_edu-3', 'efficiency-3', 'archives-1', 'archives-2')


def upgrade():
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flat', sa.Boolean(), server_default=sa.false(), nullable=False))
    rules = sa.table('rules', sa.column('code', sa.String()), sa.column('kind', sa.String()),
                     sa.column('flat', sa.Boolean()))
    op.execute(rules.update().where(rules.c.code.in_(FLAT_2018), rules.c.kind == 'per_occurrence')
               .values(flat=True))


def downgrade():
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_column('flat')

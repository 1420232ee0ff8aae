"""appeals against deduction records (issue 9)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:15:00

`deduction_appeals`: a unit head's appeal (申诉) against a deduction record and the responsible
office's answer, at most one a record. `appeal_days` is a setting of the year whose default (5)
a stored settings row without it reads, so no data moves.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deduction_appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['deduction_records.id'],
                                name=op.f('fk_deduction_appeals_record_id_deduction_records')),
        sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_deduction_appeals_filed_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_deduction_appeals_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deduction_appeals')),
        sa.UniqueConstraint('record_id', name=op.f('uq_deduction_appeals_record_id')),
    )


def downgrade():
    op.drop_table('deduction_appeals')

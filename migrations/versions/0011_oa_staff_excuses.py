"""OA: staff without accounts, outsiders, excused cases

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:00:00

附件5 covers all staff: `staff_members` lists the people of a unit who have no account, and an
OA recipient is an account (`username`), a staff member (`staff_id`) or an outsider
(`external`). The 信息管理 office may excuse a case (`excused_reason`, by, at). Existing
recipients are accounts or, when no account has their username, outsiders (they never charged
a unit before either), so every judgement stays as it was.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_staff_members_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
        sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_staff_members_unit_id')),
    )
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_members_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('oa_recipients', schema=None) as batch_op:
        batch_op.alter_column('username', existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('external', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('excused_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('excused_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('excused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_oa_recipients_staff_id'), ['staff_id'], unique=False)
        batch_op.create_unique_constraint(op.f('uq_oa_recipients_staff'), ['document_id', 'staff_id'])
        batch_op.create_foreign_key(batch_op.f('fk_oa_recipients_staff_id_staff_members'), 'staff_members',
                                    ['staff_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_oa_recipients_excused_by_id_users'), 'users',
                                    ['excused_by_id'], ['id'])
    op.execute("UPDATE oa_recipients SET external = true WHERE username NOT IN (SELECT username FROM users)")


def downgrade():
    op.execute("DELETE FROM oa_recipients WHERE username IS NULL")
    with op.batch_alter_table('oa_recipients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_oa_recipients_excused_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_oa_recipients_staff_id_staff_members'), type_='foreignkey')
        batch_op.drop_constraint(op.f('uq_oa_recipients_staff'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_oa_recipients_staff_id'))
        batch_op.drop_column('excused_at')
        batch_op.drop_column('excused_by_id')
        batch_op.drop_column('excused_reason')
        batch_op.drop_column('external')
        batch_op.drop_column('staff_id')
        batch_op.alter_column('username', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_members_unit_id'))
    op.drop_table('staff_members')

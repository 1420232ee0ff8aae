"""target letters (目标责任书): each unit's targets of a year, scored one by one on its sheet

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:00:00

Adds `targets` (year, unit, code, title, points, position; a code is unique per unit and year),
`sheet_targets` (a sheet's self and review scores and reasons per target, a row once written)
and `deduction_records.target_id` (the target a record under the `target` rule names). Existing
data needs nothing: no unit has a letter yet, so every 年度目标任务 row stays one row scored as
a whole and every record keeps costing the whole item, exactly as before.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_targets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    sa.UniqueConstraint('year', 'unit_id', 'code', name=op.f('uq_targets_year'))
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_targets_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_targets_year'), ['year'], unique=False)

    op.create_table('sheet_targets',
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('self_score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('self_reason', sa.Text(), nullable=False),
    sa.Column('review_score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['sheets.id'], name=op.f('fk_sheet_targets_sheet_id_sheets'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_sheet_targets_target_id_targets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sheet_id', 'target_id', name=op.f('pk_sheet_targets'))
    )
    with op.batch_alter_table('sheet_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sheet_targets_target_id'), ['target_id'], unique=False)

    with op.batch_alter_table('deduction_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deduction_records_target_id'), ['target_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deduction_records_target_id_targets'), 'targets',
                                    ['target_id'], ['id'])


def downgrade():
    with op.batch_alter_table('deduction_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deduction_records_target_id_targets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deduction_records_target_id'))
        batch_op.drop_column('target_id')

    with op.batch_alter_table('sheet_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sheet_targets_target_id'))
    op.drop_table('sheet_targets')

    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_targets_year'))
        batch_op.drop_index(batch_op.f('ix_targets_unit_id'))
    op.drop_table('targets')

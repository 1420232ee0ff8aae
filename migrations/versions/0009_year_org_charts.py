"""each year's org chart; each year's information quotas

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:55:00

Until now the gate map (`units.gate_unit_id`) and the leaders (`unit_leaders`) were one chart
for every year. They move into `year_units` (year, unit, name, aliases, position, gate unit,
leader), one row per unit per year, so a change to 2019's chart never moves a 2018 sheet.
A database holding today's data gets, for every year it has a scheme or sheets of (2018), the
chart it judged by — the same names, aliases, order, gates and leaders; a database with units
but no year yet gets them as 2018's. `year_info_quotas` holds a year's 附件4 quotas once a year
is made from another (2018 keeps reading its data file).

The downgrade puts the newest year's gates and leaders back on `units` and `unit_leaders`.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SEED_YEAR = 2018


def upgrade():
    op.create_table(
        'year_units',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('gate_unit_id', sa.Integer(), nullable=True),
        sa.Column('leader_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['gate_unit_id'], ['units.id'], name=op.f('fk_year_units_gate_unit_id_units')),
        sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_year_units_leader_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_year_units_unit_id_units')),
        sa.PrimaryKeyConstraint('year', 'unit_id', name=op.f('pk_year_units')),
    )
    with op.batch_alter_table('year_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_year_units_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_year_units_leader_id'), ['leader_id'], unique=False)
    op.create_table(
        'year_info_quotas',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_year_info_quotas')),
    )

    conn = op.get_bind()
    units = conn.execute(sa.text(
        'SELECT u.id, u.name, u.aliases, u.position, u.gate_unit_id, l.leader_id '
        'FROM units u LEFT JOIN unit_leaders l ON l.unit_id = u.id ORDER BY u.position, u.id')).all()
    years = {y for (y,) in conn.execute(sa.text('SELECT year FROM schemes'))}
    years |= {y for (y,) in conn.execute(sa.text('SELECT DISTINCT year FROM sheets'))}
    if units and not years:
        years = {SEED_YEAR}
    year_units = sa.table('year_units', sa.column('year', sa.Integer()), sa.column('unit_id', sa.Integer()),
                          sa.column('name', sa.String()), sa.column('aliases', sa.JSON()),
                          sa.column('position', sa.Integer()), sa.column('gate_unit_id', sa.Integer()),
                          sa.column('leader_id', sa.Integer()))
    codes = dict(conn.execute(sa.text('SELECT id, code FROM units')).all())
    rows = [{'year': year, 'unit_id': u.id, 'name': u.name, 'aliases': _with_seed_alias(codes[u.id], u, units),
             'position': u.position, 'gate_unit_id': u.gate_unit_id, 'leader_id': u.leader_id}
            for year in sorted(years) for u in units]
    if rows:
        op.bulk_insert(year_units, rows)

    with op.batch_alter_table('unit_leaders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_leaders_leader_id'))
    op.drop_table('unit_leaders')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint('fk_units_gate_unit_id_units', type_='foreignkey')
        batch_op.drop_column('gate_unit_id')


def _with_seed_alias(code, unit, units):
    """附件2 and 附件5 name 办公室 also 信息中心 (办公室（信息中心）): the alias the 2018 data file now
    gives it, added where no other unit uses the name."""
    aliases = _list(unit.aliases)
    if code == 'bgs' and '信息中心' not in aliases and not any(
            '信息中心' == u.name or '信息中心' in _list(u.aliases) for u in units if u.id != unit.id):
        aliases.append('信息中心')
    return aliases


def _list(value):
    """`units.aliases` as read back: a list (PostgreSQL's JSON) or its text (SQLite)."""
    if value is None:
        return []
    if isinstance(value, str):
        import json

        return list(json.loads(value) or [])
    return list(value)


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gate_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_units_gate_unit_id_units', 'units', ['gate_unit_id'], ['id'])
    op.create_table(
        'unit_leaders',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_unit_leaders_leader_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_leaders_unit_id_units'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_leaders')),
    )
    with op.batch_alter_table('unit_leaders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_leaders_leader_id'), ['leader_id'], unique=False)
    conn = op.get_bind()
    newest = conn.execute(sa.text('SELECT MAX(year) FROM year_units')).scalar()
    if newest is not None:
        for unit_id, gate_id, leader_id in conn.execute(sa.text(
                'SELECT unit_id, gate_unit_id, leader_id FROM year_units WHERE year = :y'), {'y': newest}).all():
            conn.execute(sa.text('UPDATE units SET gate_unit_id = :g WHERE id = :u'), {'g': gate_id, 'u': unit_id})
            if leader_id is not None:
                conn.execute(sa.text('INSERT INTO unit_leaders (unit_id, leader_id) VALUES (:u, :l)'),
                             {'u': unit_id, 'l': leader_id})
    op.drop_table('year_info_quotas')
    with op.batch_alter_table('year_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_year_units_leader_id'))
        batch_op.drop_index(batch_op.f('ix_year_units_unit_id'))
    op.drop_table('year_units')

"""year settings: the readings of DOMAIN.md as data per year

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:05:00

Adds `year_settings` (year, values as JSON, version). A database that holds 2018's scheme gets
2018's row with the values it judged by until now (`kaohe_flow/data/settings_2018.yaml`, the
seed's readings that were constants in code), its bonus cap taken from `schemes.bonus_cap`, so an
existing installation keeps judging the same way; the cap then leaves `schemes` (it is a setting).
The downgrade puts each year's cap back on its scheme and drops the table.
"""
import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SEED = Path(__file__).resolve().parents[2] / 'kaohe_flow' / 'data' / 'settings_2018.yaml'
KEYS = ('office_hours', 'oa_no_client_hours', 'oa_no_client_basis', 'oa_limits_minutes',
        'oa_no_client_factor', 'info_yearly_minimum_points', 'gov_affairs_points', 'bonus_cap')

SCHEMES = sa.table('schemes', sa.column('year', sa.Integer()), sa.column('bonus_cap', sa.Numeric(7, 2)))
SETTINGS = sa.table('year_settings', sa.column('year', sa.Integer()), sa.column('values', sa.JSON()),
                    sa.column('version', sa.Integer()))


def _points(value) -> str | None:
    if value is None:
        return None
    text = format(Decimal(value).quantize(Decimal('0.01')), 'f')
    return text.rstrip('0').rstrip('.') if '.' in text else text


def upgrade():
    op.create_table('year_settings',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_year_settings'))
    )
    bind = op.get_bind()
    caps = dict(bind.execute(sa.select(SCHEMES.c.year, SCHEMES.c.bonus_cap)).all())
    if 2018 in caps:
        seed = yaml.safe_load(SEED.read_text(encoding='utf-8'))
        values = {key: seed[key] for key in KEYS}
        values['bonus_cap'] = _points(caps[2018])
        bind.execute(SETTINGS.insert().values(year=2018, values=values, version=1))
    with op.batch_alter_table('schemes', schema=None) as batch_op:
        batch_op.drop_column('bonus_cap')


def downgrade():
    with op.batch_alter_table('schemes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus_cap', sa.Numeric(precision=7, scale=2), nullable=True))
    bind = op.get_bind()
    for year, values in bind.execute(sa.select(SETTINGS.c.year, SETTINGS.c["values"])).all():
        if isinstance(values, str):
            values = json.loads(values)
        cap = values.get('bonus_cap')
        if cap is not None:
            bind.execute(SCHEMES.update().where(SCHEMES.c.year == year).values(bonus_cap=Decimal(cap)))
    op.drop_table('year_settings')

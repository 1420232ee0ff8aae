"""a final sheet keeps the bonus it was signed with

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 11:10:00

`sheets.bonus_final`: the 特别附加分 a sheet counted when it became final, so that a bonus
application granted later never changes a signed sheet's total (it shows as `bonus_pending`
until the sheet is reopened and signed again). A database that holds final sheets freezes them
at what they show today.
"""
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sheets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus_final', sa.Numeric(precision=7, scale=2), nullable=True))
    # What each final sheet shows today: the granted points of its unit's final applications of
    # the year, capped by the year's setting when it has one.
    conn = op.get_bind()
    caps = {}
    for year, values in conn.execute(sa.text('SELECT year, "values" FROM year_settings')).all():
        values = json.loads(values) if isinstance(values, str) else values
        cap = (values or {}).get('bonus_cap')
        caps[year] = Decimal(str(cap)) if cap is not None else None
    granted = {(u, y): Decimal(str(total or 0)) for u, y, total in conn.execute(sa.text(
        "SELECT unit_id, year, SUM(points_granted) FROM bonus_applications WHERE state = 'final' "
        "GROUP BY unit_id, year")).all()}
    for sheet_id, unit_id, year in conn.execute(sa.text(
            "SELECT id, unit_id, year FROM sheets WHERE state = 'final'")).all():
        points = granted.get((unit_id, year), Decimal(0)).quantize(Decimal('0.01'))
        if caps.get(year) is not None:
            points = min(points, caps[year])
        conn.execute(sa.text('UPDATE sheets SET bonus_final = :p WHERE id = :i')
                     .bindparams(sa.bindparam('p', type_=sa.Numeric(7, 2))), {'p': points, 'i': sheet_id})


def downgrade():
    with op.batch_alter_table('sheets', schema=None) as batch_op:
        batch_op.drop_column('bonus_final')

"""the version every process checks before it uses its snapshot of a year's org chart (issue 11)

Adds the row `cache_versions.org`: it moves on with every change to a year's chart, a unit, or
what the chart shows of a person (a leader's name, username, active flag; a deletion), in the
same transaction as the change (`org.snapshot`). Written here so that the first change never
races another process to insert it. Starts at 1.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 08:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table('cache_versions', sa.column('name', sa.String), sa.column('version', sa.Integer))
    op.bulk_insert(table, [{"name": "org", "version": 1}])


def downgrade():
    op.execute("DELETE FROM cache_versions WHERE name = 'org'")

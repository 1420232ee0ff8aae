"""the version every process checks before it uses its snapshot of the scheme (issue 11)

Adds `cache_versions`: one row per kind of data a process holds across requests. `scheme` moves
on with every change to a scheme, its items, offices, rules or the units they name (in the same
transaction as the change), so two app servers never show two schemes. Starts at 1.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 17:50:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('cache_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )
    op.bulk_insert(table, [{"name": "scheme", "version": 1}])


def downgrade():
    op.drop_table('cache_versions')

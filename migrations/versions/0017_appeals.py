"""appeals against deduction records (issue 9)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:15:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

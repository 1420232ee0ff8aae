"""indexes for a district's lists and reports (issue 11)

The queries they serve (at 1,000 units, 10 years, 100,000 deduction records, 1,000,000 OA
sign-ins, 200,000 information items): the ranking and the 特别附加分 read a year's final sheets
and applications; every sheet page reads its unit's records of the year; the records', OA and
information lists read a year in date order; the trackers' sync reads a source's records of a
year; a pushed OA document is matched by its title; the OA page shows the newest steps of a kind.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 13:15:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_sheets_year_state", "sheets", ["year", "state"]),
    ("ix_bonus_applications_year_state", "bonus_applications", ["year", "state"]),
    ("ix_deduction_records_unit_year", "deduction_records", ["unit_id", "year"]),
    ("ix_deduction_records_year_date", "deduction_records", ["year", "date"]),
    ("ix_deduction_records_source_year", "deduction_records", ["source", "year"]),
    ("ix_oa_documents_year_sent", "oa_documents", ["year", "sent_at"]),
    ("ix_oa_documents_title", "oa_documents", ["title"]),
    ("ix_info_items_year_adopted", "info_items", ["year", "adopted_on"]),
    ("ix_info_items_unit_year", "info_items", ["unit_id", "year", "adopted_on"]),
    ("ix_history_kind_id", "history", ["record_kind", "id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)

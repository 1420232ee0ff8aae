"""The schema comes from the migrations only: upgrading an empty database gives exactly the
models' schema, on SQLite and (in the PostgreSQL pass) on PostgreSQL."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from conftest import make_app
from kaohe_flow.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the backend under test."""
    if os.environ.get("KAOHE_TEST_DB") != "postgresql":
        yield "sqlite:///" + str(tmp_path / "migrated.db")
        return
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"kaohe_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_builds_exactly_the_models_schema(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()

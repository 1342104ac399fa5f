"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.installations import SLACK_METADATA
from storage.migrate import current_revision, head_revision
from storage.models import Base


# Neither store's reflection compares an index on an expression (lower(domain)): tests/api/test_folded_lookups.py
# checks those two are there, by the plans that use them.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_migrated_store_matches_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), [Base.metadata, SLACK_METADATA])

    assert differences == []
    assert current_revision(engine) == head_revision()

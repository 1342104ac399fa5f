"""slack-sdk's OAuth tables in our store: the installations and bots its SQLAlchemy installation store keeps, and
the states of installs under way its SQLAlchemy state store keeps.

The SDK defines them on MetaData of its own; `SLACK_METADATA` holds the same definitions so that Alembic compares
them too (migration 0015 creates them: nothing calls the stores' `create_tables` at runtime).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

SLACK_METADATA = MetaData()
SQLAlchemyInstallationStore.build_installations_table(SLACK_METADATA, INSTALLATIONS_TABLE)
SQLAlchemyInstallationStore.build_bots_table(SLACK_METADATA, BOTS_TABLE)
SQLAlchemyOAuthStateStore.build_oauth_states_table(SLACK_METADATA, OAUTH_STATES_TABLE)

"""Alembic environment: runs on the connection handed over by ``catalogue.db.upgrade``."""

from alembic import context
from sqlmodel import SQLModel

import catalogue.models  # noqa: F401  (registers the tables)
import connectors.models  # noqa: F401  (the schema is composed here, as the app is)
import quality.models  # noqa: F401
import sharing_agreements.models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

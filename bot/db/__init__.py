"""Persistence: SQLAlchemy 2.0 models, engine creation and Alembic migrations."""

"""Persistence: SQLAlchemy 2.0 models, engine creation, Alembic migrations, the database
clock, and leases and claims for several replicas on one database."""

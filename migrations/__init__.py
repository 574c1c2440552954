"""Alembic migrations for demarc's database (run them with `demarc db upgrade`)."""

"""Persistence: SQLAlchemy 2 async models, engine and repositories."""

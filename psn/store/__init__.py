"""Durable storage: one `Database` interface over SQLite and PostgreSQL, and a batched writer."""

from psn.store.database import Database
from psn.store.writer import BatchWriter

__all__ = ["BatchWriter", "Database"]

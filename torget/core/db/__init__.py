"""Torget's own database backends (see `torget.core.db.sqlite3`)."""

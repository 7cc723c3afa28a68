"""Django's SQLite backend with fair (first come, first served) waiting for the write lock.

Set as ENGINE ("torget.core.db.sqlite3") by config/settings.py when the database is SQLite.
"""

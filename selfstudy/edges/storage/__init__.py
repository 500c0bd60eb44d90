"""The database: self-studies, their answers field by field, history, sync bases.

`database` holds `Storage` and what it returns; `schema` the tables and migrations.
"""

from selfstudy.edges.storage.database import (
    Change,
    DatabaseError,
    NewerAnswer,
    StaleEdit,
    Storage,
    StoredStudy,
    StudyNotFound,
    StudySummary,
    database_url,
    first_line,
    shown_url,
)

__all__ = [
    "Change",
    "DatabaseError",
    "NewerAnswer",
    "StaleEdit",
    "Storage",
    "StoredStudy",
    "StudyNotFound",
    "StudySummary",
    "database_url",
    "first_line",
    "shown_url",
]

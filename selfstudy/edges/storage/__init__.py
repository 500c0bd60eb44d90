"""The database: self-studies, their answers field by field, history, sync bases.

`database` holds `Storage` and what it returns; `schema` the tables and migrations;
`connection` where the database is and how long to wait for it; `errors` what a
failure of the database means, as one line.
"""

from selfstudy.edges.storage.connection import database_url
from selfstudy.edges.storage.database import (
    Change,
    NewerAnswer,
    StaleEdit,
    Storage,
    StoredStudy,
    StudyNotFound,
    StudySummary,
)
from selfstudy.edges.storage.errors import DatabaseError, database_place

__all__ = [
    "Change",
    "DatabaseError",
    "NewerAnswer",
    "StaleEdit",
    "Storage",
    "StoredStudy",
    "StudyNotFound",
    "StudySummary",
    "database_place",
    "database_url",
]

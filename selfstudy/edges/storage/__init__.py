"""The database: self-studies, their answers field by field, history, sync bases, and the
programs, people and grants every operation is checked against.

`database` holds `Storage` and what it returns; `schema` the tables and migrations;
`teams` the raters and steps of team self-studies; `connection` where the database is
and how long to wait for it; `errors` what a failure of the database means, as one line.
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
from selfstudy.edges.storage.people import AccessEntry, ProgramSummary
from selfstudy.edges.storage.teams import TEAM_ENTRY, TeamSummary

__all__ = [
    "TEAM_ENTRY",
    "AccessEntry",
    "Change",
    "DatabaseError",
    "NewerAnswer",
    "ProgramSummary",
    "StaleEdit",
    "Storage",
    "StoredStudy",
    "StudyNotFound",
    "StudySummary",
    "TeamSummary",
    "database_place",
    "database_url",
]

"""Defects found reviewing the session's changes to storage, each shown as a person meets it.

A cohort comparison on PostgreSQL once read its answers in a thread on a second
connection. The app's sessions share one engine and so one pool of connections: when
every connection but the reader's own was busy (other sessions reading at the same
moment), the thread waited for one that only a finished read gives back, and the read
failed after the pool's wait (30 s). A comparison now reads on its one connection; this
keeps it so.
"""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from selfstudy.edges.storage import Storage


def test_a_cohort_read_succeeds_while_every_other_connection_of_the_pool_is_in_use(
    storage: Storage, sample_set
):
    storage.create_studies(sample_set)
    rubric_id = storage.rubric_ids()[0]
    pool = storage.engine.pool
    assert isinstance(pool, QueuePool)
    # the most the pool gives at once (SQLAlchemy keeps the overflow's limit to itself)
    most = pool.size() + pool._max_overflow
    busy = [storage.engine.connect() for _ in range(most - 1)]  # other sessions' reads
    try:
        columns = storage.study_columns(rubric_id)
    finally:
        for conn in busy:
            conn.close()
    assert len(columns.labels) == len(sample_set)

"""Improvement plans in the database: plans, change ideas, cycles, measures, data points.

Each is one row of `improvement_records` (`core.improvement` says what they hold).
A record's fields are saved as an answer's are: a writer sends the fields it changed
and the record revision it last saw; a field someone else changed since is refused
with `RecordChanged` (nothing is written, and the words refused are kept in the
history); every change is in the history, from which any earlier value can be put
back; deleting a record keeps it, out of sight, until it is restored.

Plans belong to a program and follow its access: whoever may read the program's
self-studies reads its plans, whoever may change them changes its plans. A program
may also choose to share what it learned with the whole network (`set_sharing`):
then anyone with access to any program reads its plans (`shared_plans`), never
changes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, or_, select, true, update
from sqlalchemy.engine import Connection

from selfstudy.core.access import Action
from selfstudy.core.improvement import (
    MAX_POINTS,
    PARENTS,
    WORDS,
    Kind,
    PlanView,
    Record,
    assemble,
    changed_fields,
    checked,
    field_values,
    from_storage,
)
from selfstudy.core.problems import Problem, ProblemsFound, clip
from selfstudy.edges.storage.schema import (
    change_values,
    json_text,
    new_id,
    now,
    programs_table,
    record_changes_table,
    records_table,
    sharing_table,
    studies_table,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

RECORD_ENTRY = "@record"  # the `field` of a record's making, deletion and restoration
SHARING_ENTRY = "@sharing"  # the `field` of a program's choice to share, on the program
THE_PLANS = "This program's improvement plans"
_LIVE = records_table.c.deleted_at.is_(None)


@dataclass(frozen=True)
class RecordChange:
    """One entry of a plan's history."""

    id: int
    record_id: str
    field: str  # a field of the record, or `@record`
    old: Any
    new: Any
    revision: int
    accepted: bool
    changed_at: datetime
    changed_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record": self.record_id,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "accepted": self.accepted,
            "at": self.changed_at.isoformat(),
            "by": self.changed_by,
        }


@dataclass(frozen=True)
class NewerField:
    """A field of a record someone else changed after this writer last saw it."""

    field: str
    stored: Any  # what it holds now
    mine: Any  # what this writer tried to save (kept in the history)
    changed_at: datetime | None
    changed_by: str


class RecordChanged(ProblemsFound):
    """A save based on an out-of-date revision of a record; nothing was written."""

    def __init__(self, kind: Kind, conflicts: list[NewerField]):
        self.conflicts = conflicts
        super().__init__(
            [
                Problem(
                    "record-changed",
                    f"This {WORDS[kind]}",
                    f"{c.changed_by or 'someone'} changed it since you opened it"
                    + (f" (at {c.changed_at:%Y-%m-%d %H:%M} UTC)" if c.changed_at else "")
                    + "; your text is kept in the history: read theirs, then save yours again "
                    "if it should replace it",
                    c.field,
                )
                for c in conflicts
            ]
        )


def no_record(record_id: str, kind: Kind | None = None, what: str = "") -> ProblemsFound:
    what = what or (WORDS[kind] if kind else "record")
    return ProblemsFound(
        [
            Problem(
                "no-record",
                f"The {what} {clip(record_id, 40)!r}",
                f"there is no such {what}; it may have been deleted (a deleted one can be "
                "restored from its plan's deleted records)",
            )
        ]
    )


class ImprovementRecords:
    """The improvement operations of `Storage` (a mixin: it uses the storage's engine, actor
    and access checks). Every method checks the actor against the program's access."""

    # --- reading ------------------------------------------------------------------------

    def plans(
        self,
        program_id: str | None = None,
        deleted: bool = False,
        points: bool = True,
        measures: bool = True,
    ) -> list[PlanView]:
        """The plans the actor may read (of one program, when given), each with what lies
        under it; with `deleted`, the deleted plans instead (for whoever may restore them).
        Without `points`, the measures come without their data points (most of a network's
        records, which a view of what was tried does not need); without `measures`, with
        neither."""
        with self.engine.connect() as conn:
            scope = self._scope(
                conn, Action.DELETE if deleted else Action.READ, records_table.c.program_id
            )
            if program_id is not None:
                scope = and_(scope, records_table.c.program_id == program_id)
            return _plans(conn, scope, deleted, points, measures)

    def plan(self, plan_id: str) -> PlanView:
        """One plan the actor may read, with everything under it."""
        with self.engine.connect() as conn:
            row = self._record_row(conn, plan_id, Action.READ)
            if row.kind != "plan":
                raise no_record(plan_id, "plan")
            views = _plans(conn, records_table.c.plan_id == plan_id, False)
        if not views:
            raise no_record(plan_id, "plan")
        return views[0]

    def record(self, record_id: str) -> Record:
        """One live record the actor may read (a plan, idea, cycle, measure or point)."""
        with self.engine.connect() as conn:
            return _record_of(self._record_row(conn, record_id, Action.READ))

    def shared_plans(self, points: bool = True, measures: bool = True) -> list[PlanView]:
        """The plans of programs that share what they learned, for anyone with access to a
        program (or the cohorts of one): what the network tried. Read-only."""
        with self.engine.connect() as conn:
            actor = self._now(conn)
            if not (actor.is_admin or actor.program_ids or actor.cohorts):
                return []
            sharing = select(sharing_table.c.program_id).where(sharing_table.c.shares == 1)
            return _plans(conn, records_table.c.program_id.in_(sharing), False, points, measures)

    def shares_learning(self, program_id: str) -> bool:
        with self.engine.connect() as conn:
            self._require(conn, Action.READ, program_id, THE_PLANS)
            return bool(
                conn.scalar(
                    select(sharing_table.c.shares).where(sharing_table.c.program_id == program_id)
                )
            )

    def deleted_records(self, plan_id: str) -> list[Record]:
        """The deleted records under a plan (the plan itself when it is deleted), newest
        deletion first: what `restore_record` can bring back."""
        with self.engine.connect() as conn:
            row = self._record_row(conn, plan_id, Action.DELETE, deleted_too=True)
            rows = conn.execute(
                select(records_table)
                .where(records_table.c.plan_id == row.plan_id, ~_LIVE)
                .order_by(records_table.c.deleted_at.desc())
            ).all()
        return [_record_of(r) for r in rows]

    def record_history(self, plan_id: str) -> list[RecordChange]:
        """Every change to a plan and what lies under it, newest first, refused ones too."""
        with self.engine.connect() as conn:
            row = self._record_row(conn, plan_id, Action.READ, deleted_too=True)
            if _deleted_at(conn, row.plan_id):  # only who may bring it back reads a deleted plan
                self._require(conn, Action.DELETE, row.program_id, THE_PLANS)
            rows = conn.execute(
                select(record_changes_table)
                .where(record_changes_table.c.plan_id == row.plan_id)
                .order_by(record_changes_table.c.id.desc())
            ).all()
        return [_change_of(r) for r in rows]

    # --- writing ------------------------------------------------------------------------

    def add_plan(self, program_id: str, fields: Mapping[str, Any], by: str = "") -> str:
        """Make a plan of the program; its self-study (`study_id`), when named, must be one
        of the program's, of the plan's rubric. Returns the plan's id."""
        plan = checked("plan", fields, "The new improvement plan")
        with self.engine.begin() as conn:
            self._require(conn, Action.EDIT, program_id, THE_PLANS)
            known = select(programs_table.c.id).where(programs_table.c.id == program_id)
            if conn.scalar(known) is None:
                raise no_record(program_id, None, "program")
            if plan.study_id is not None:
                study = conn.execute(
                    select(studies_table.c.program_ref, studies_table.c.rubric_id).where(
                        studies_table.c.id == plan.study_id
                    )
                ).one_or_none()
                if study is None or study.program_ref != program_id:
                    raise _refused("study_id", "names no self-study of this program")
                if study.rubric_id != plan.rubric_id:
                    raise _refused("rubric_id", "is not the rubric of its self-study")
            record_id = new_id()
            _insert(
                conn,
                record_id,
                "plan",
                program_id,
                record_id,
                None,
                field_values(plan),
                by or self.actor.label,
            )
        return record_id

    def add_record(self, kind: Kind, under: str, fields: Mapping[str, Any], by: str = "") -> str:
        """Add a change idea or measure under a plan, a cycle under an idea, a data point
        under a measure. Returns its id."""
        return self.add_records(kind, under, [fields], by)[0]

    def add_records(
        self, kind: Kind, under: str, many: Sequence[Mapping[str, Any]], by: str = ""
    ) -> list[str]:
        """`add_record` for several records under one parent, all or nothing (data points
        read from a file)."""
        if kind == "plan":
            raise ValueError("a plan is made with add_plan")
        problems = []
        models = []
        for index, fields in enumerate(many):
            where = f"The new {WORDS[kind]}" + (f" {index + 1}" if len(many) > 1 else "")
            try:
                models.append(checked(kind, fields, where))
            except ProblemsFound as exc:
                problems += exc.problems
        if problems:
            raise ProblemsFound(problems)
        with self.engine.begin() as conn:
            parent = self._record_row(conn, under, Action.EDIT, lock=True)
            if parent.kind != PARENTS[kind]:
                raise no_record(under, PARENTS[kind])
            if kind == "point":
                _refuse_too_many(conn, under, len(models))
            ids = []
            for model in models:
                ids.append(record_id := new_id())
                _insert(
                    conn,
                    record_id,
                    kind,
                    parent.program_id,
                    parent.plan_id,
                    None if kind in ("idea", "measure") else parent.id,
                    field_values(model),
                    by or self.actor.label,
                )
        return ids

    def update_record(
        self,
        record_id: str,
        fields: Mapping[str, Any],
        seen: int | Mapping[str, int] | None,
        by: str = "",
    ) -> int:
        """Save changed fields of a record; returns its revision after the save.

        `seen` is the record revision this writer last saw (or one per field; None:
        whatever is stored now is what the writer replaces). A field someone else changed
        since is refused with `RecordChanged`, and nothing is written. The record with
        the new fields is checked whole (`core.improvement`): a cycle is closed only with
        its Study and Act.
        """
        by = by or self.actor.label
        stamp = now()
        with self.engine.begin() as conn:
            row = self._record_row(conn, record_id, Action.EDIT, lock=True)
            record = _record_of(row)
            stored = field_values(record.fields)
            wanted = {
                name: value
                for name, value in fields.items()
                if name not in stored or value != stored[name]
            }
            where = f"This {WORDS[record.kind]}"
            merged = field_values(changed_fields(record.kind, record.fields, wanted, where))
            changes = {
                name: merged[name] for name in wanted if merged.get(name) != stored.get(name)
            }
            conflicts = []
            for name in changes:
                saw = seen.get(name) if isinstance(seen, Mapping) else seen
                if saw is not None and record.changed.get(name, 0) > saw:
                    conflicts.append(name)
            if conflicts:
                newer = [_newer(conn, record, name, changes[name]) for name in conflicts]
                refused = [(name, stored.get(name), value) for name, value in changes.items()]
            elif changes:
                revision = record.revision + 1
                conn.execute(
                    update(records_table)
                    .where(records_table.c.id == record_id)
                    .values(
                        fields=json_text(merged),
                        changed=json_text({**record.changed, **dict.fromkeys(changes, revision)}),
                        revision=revision,
                        updated_at=stamp,
                    )
                )
                _history(
                    conn,
                    record,
                    [(n, stored.get(n), v) for n, v in changes.items()],
                    revision,
                    stamp,
                    by,
                )
                return revision
            else:
                return record.revision
        # refused: keep every word of the save (its other fields too: nothing was written),
        # then say whose change stands
        with self.engine.begin() as conn:
            _history(
                conn,
                record,
                refused,
                record.revision,
                stamp,
                by,
                accepted=False,
            )
        raise RecordChanged(record.kind, newer)

    def delete_record(self, record_id: str, by: str = "") -> None:
        """Put a record out of sight (a plan: with everything under it); restorable."""
        self._record_deleted(record_id, True, by)

    def restore_record(self, record_id: str, by: str = "") -> None:
        self._record_deleted(record_id, False, by)

    def restore_record_value(self, change_id: int, by: str = "", seen: int | None = None) -> int:
        """Put back the value a history entry gave its field (a refused one: the text tried);
        itself a change in the history. Returns the record's revision after it."""
        if not 0 < change_id < 2**31:  # no history holds more entries than an int4 counts
            raise no_record(str(change_id), None, "change")
        with self.engine.connect() as conn:
            row = conn.execute(
                select(record_changes_table).where(record_changes_table.c.id == change_id)
            ).one_or_none()
            if row is None or row.field.startswith("@"):
                raise no_record(str(change_id), None)
            self._record_row(conn, row.record_id, Action.EDIT)
        return self.update_record(row.record_id, {row.field: json.loads(row.new)}, seen, by)

    def set_sharing(self, program_id: str, shares: bool, by: str = "") -> None:
        """Whether the program shares what its plans learned with the whole network."""
        by = by or self.actor.label
        stamp = now()
        with self.engine.begin() as conn:
            self._require(conn, Action.EDIT, program_id, THE_PLANS)
            # the program's row, locked: two people choosing at once take turns
            conn.execute(
                update(programs_table)
                .where(programs_table.c.id == program_id)
                .values(id=programs_table.c.id)
            )
            before = bool(
                conn.scalar(
                    select(sharing_table.c.shares).where(sharing_table.c.program_id == program_id)
                )
            )
            if before == shares:
                return
            conn.execute(sharing_table.delete().where(sharing_table.c.program_id == program_id))
            conn.execute(
                insert(sharing_table).values(
                    program_id=program_id, shares=int(shares), updated_at=stamp, updated_by=by
                )
            )
            conn.execute(
                insert(record_changes_table).values(
                    record_id=program_id,
                    plan_id=None,
                    field=SHARING_ENTRY,
                    old=json_text(before),
                    new=json_text(shares),
                    revision=0,
                    accepted=1,
                    changed_at=stamp,
                    changed_by=by,
                )
            )

    # --- inside -------------------------------------------------------------------------

    def _record_deleted(self, record_id: str, deleted: bool, by: str) -> None:
        by = by or self.actor.label
        stamp = now()
        with self.engine.begin() as conn:
            row = self._record_row(conn, record_id, Action.DELETE, deleted_too=True, lock=True)
            if (row.deleted_at is not None) == deleted:
                return
            conn.execute(
                update(records_table)
                .where(records_table.c.id == record_id)
                .values(deleted_at=stamp if deleted else None)
            )
            record = _record_of(row)
            what = "deleted" if deleted else "restored"
            _history(conn, record, [(RECORD_ENTRY, None, what)], record.revision, stamp, by)

    def _record_row(
        self,
        conn: Connection,
        record_id: str,
        action: Action,
        deleted_too: bool = False,
        lock: bool = False,
    ) -> Any:
        """The record's row when the actor may do `action` to its program (a record under a
        deleted plan, idea or measure counts as deleted); locked for this transaction with
        `lock`."""
        if lock:
            conn.execute(
                update(records_table)
                .where(records_table.c.id == record_id)
                .values(id=records_table.c.id)
            )
        row = conn.execute(
            select(records_table).where(records_table.c.id == record_id)
        ).one_or_none()
        if row is None:
            raise no_record(record_id)
        self._require(conn, action, row.program_id, THE_PLANS)
        if not deleted_too:
            above = {row.plan_id, row.parent_id} - {row.id, None}  # its plan, idea or measure
            if row.deleted_at is not None or any(_deleted_at(conn, i) for i in above):
                raise no_record(record_id, row.kind)
        return row


def _deleted_at(conn: Connection, record_id: str) -> str | None:
    return conn.scalar(select(records_table.c.deleted_at).where(records_table.c.id == record_id))


def _plans(
    conn: Connection,
    scope: ColumnElement[bool],
    deleted: bool,
    points: bool = True,
    measures: bool = True,
) -> list[PlanView]:
    """The plans within `scope`, assembled; deleted plans (with their records) or live ones;
    without `points`, their measures' data points left out."""
    plan_rows = select(records_table.c.id).where(
        scope, records_table.c.kind == "plan", ~_LIVE if deleted else _LIVE
    )
    rows = conn.execute(
        select(records_table).where(
            records_table.c.plan_id.in_(plan_rows),
            true() if deleted else _LIVE,
            or_(records_table.c.kind == "plan", _LIVE) if deleted else true(),
            true() if points else records_table.c.kind != "point",
            true() if measures else records_table.c.kind != "measure",
        )
    ).all()
    records = [_record_of(row) for row in rows]
    names = dict(
        conn.execute(
            select(programs_table.c.id, programs_table.c.name).where(
                programs_table.c.id.in_({r.program_id for r in records})
            )
        ).all()
    )
    return assemble(records, names)


def _record_of(row: Any) -> Record:
    kind: Kind = row.kind
    return Record(
        id=row.id,
        kind=kind,
        program_id=row.program_id,
        plan_id=row.plan_id,
        parent_id=row.parent_id,
        fields=from_storage(kind, json.loads(row.fields)),
        revision=row.revision,
        changed_json=row.changed,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


def _insert(
    conn: Connection,
    record_id: str,
    kind: Kind,
    program_id: str,
    plan_id: str,
    parent_id: str | None,
    fields: dict[str, Any],
    by: str,
) -> None:
    stamp = now()
    conn.execute(
        insert(records_table).values(
            id=record_id,
            kind=kind,
            program_id=program_id,
            plan_id=plan_id,
            parent_id=parent_id,
            fields=json_text(fields),
            changed=json_text(dict.fromkeys(fields, 1)),
            revision=1,
            created_at=stamp,
            created_by=by,
            updated_at=stamp,
        )
    )
    conn.execute(
        insert(record_changes_table),
        [
            _change_row(
                record_id, plan_id, RECORD_ENTRY, None, f"{WORDS[kind]} made", 1, stamp, by
            ),
            *(
                _change_row(record_id, plan_id, name, None, value, 1, stamp, by)
                for name, value in fields.items()
                if value not in (None, "", [])
            ),
        ],
    )


def _history(
    conn: Connection,
    record: Record,
    changes: Iterable[tuple[str, Any, Any]],
    revision: int,
    stamp: str,
    by: str,
    accepted: bool = True,
) -> None:
    rows = [
        _change_row(record.id, record.plan_id, name, old, new, revision, stamp, by, accepted)
        for name, old, new in changes
    ]
    if rows:
        conn.execute(insert(record_changes_table), rows)


def _change_row(
    record_id: str,
    plan_id: str,
    field: str,
    old: Any,
    new: Any,
    revision: int,
    stamp: str,
    by: str,
    accepted: bool = True,
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "plan_id": plan_id,
        **change_values(field, old, new, revision, stamp, by, accepted),
    }


def _change_of(row: Any) -> RecordChange:
    return RecordChange(
        id=row.id,
        record_id=row.record_id,
        field=row.field,
        old=json.loads(row.old),
        new=json.loads(row.new),
        revision=row.revision,
        accepted=bool(row.accepted),
        changed_at=datetime.fromisoformat(row.changed_at),
        changed_by=row.changed_by,
    )


def _newer(conn: Connection, record: Record, name: str, mine: Any) -> NewerField:
    last = conn.execute(
        select(record_changes_table.c.changed_at, record_changes_table.c.changed_by)
        .where(
            record_changes_table.c.record_id == record.id,
            record_changes_table.c.field == name,
            record_changes_table.c.accepted == 1,
        )
        .order_by(record_changes_table.c.id.desc())
        .limit(1)
    ).one_or_none()
    return NewerField(
        field=name,
        stored=field_values(record.fields).get(name),
        mine=mine,
        changed_at=datetime.fromisoformat(last.changed_at) if last else None,
        changed_by=last.changed_by if last else "",
    )


def _refuse_too_many(conn: Connection, measure_id: str, adding: int) -> None:
    """A measure holds at most `MAX_POINTS` points (deleted ones too: they can come back)."""
    held = conn.scalar(
        select(func.count()).where(
            records_table.c.parent_id == measure_id, records_table.c.kind == "point"
        )
    )
    if held + adding > MAX_POINTS:
        raise ProblemsFound(
            [
                Problem(
                    "bad-record",
                    "The measure's data points",
                    f"a measure holds at most {MAX_POINTS:,} data points; it holds {held:,} "
                    f"and {adding:,} more were given. Start a new measure for a new series",
                )
            ]
        )


def _refused(path: str, why: str) -> ProblemsFound:
    return ProblemsFound([Problem("bad-record", "The new improvement plan", why, path)])

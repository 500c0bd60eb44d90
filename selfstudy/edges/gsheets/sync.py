"""Sync: a three-way merge of a study with its spreadsheet, writing only changed cells."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gspread import Client
from gspread.urls import SPREADSHEET_VALUES_BATCH_UPDATE_URL

from selfstudy.core.merge import PROGRAM_KEY, Side, SyncPlan, apply_changes, plan_sync, snapshot
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import (
    SHEETS_TITLE_LIMIT,
    SUMMARY,
    Cell,
    ImportResult,
    Sheets,
    a1,
    existing_tabs,
    export_value,
    layout,
    normalize,
    parse_sheet_copy,
    summary_tab,
)
from selfstudy.core.study import SelfStudy
from selfstudy.edges.gsheets.client import post, spreadsheet_key
from selfstudy.edges.gsheets.pull import pull_sheets
from selfstudy.edges.gsheets.push import json_cell, push_layout


@dataclass
class SyncOutcome:
    """What a sync did: the study after it, the base to remember and the plan it followed."""

    study: SelfStudy
    base: dict[str, Any]
    plan: SyncPlan
    pushed_layout: bool = False
    unwritable: list[str] = field(default_factory=list)


def sync(
    client: Client,
    url_or_key: str,
    study: SelfStudy,
    rubric: Rubric,
    base: dict[str, Any] | None,
    choices: Mapping[str, Side] | None = None,
) -> SyncOutcome:
    """Three-way merge of the app's study with the sheet (3 requests).

    An empty spreadsheet gets the whole layout (a push). Otherwise changes made
    only in the sheet come into the returned study, changes made only in the app
    are written to their cells in the sheet, and conflicts are left as they are
    on both sides (see `selfstudy.core.merge`). An item whose row was deleted in
    the sheet keeps its answer in the app until the user chooses the sheet's
    side. The caller saves the returned study and remembers the returned base.
    """
    key = spreadsheet_key(url_or_key)
    sheet_tabs, sheets = pull_sheets(client, key)
    tabs = layout(rubric, study, SHEETS_TITLE_LIMIT)
    if not existing_tabs(tabs, sheets, rubric):  # a new spreadsheet: give it the layout
        push_layout(client, key, sheet_tabs, tabs, rubric)
        plan = SyncPlan(base=snapshot(study))
        return SyncOutcome(study, plan.base, plan, pushed_layout=True)
    result = parse_sheet_copy(sheets, rubric)
    sheet_study = result.raise_on_errors()
    rowless = [item.id for item in rubric.items() if item.id not in result.cells]
    plan = plan_sync(base, snapshot(study), snapshot(sheet_study), choices, rowless)
    updates, unwritable = _cell_updates(plan, result, rubric)
    if updates or plan.to_app:
        updates += _summary_update(sheets, rubric, apply_changes(sheet_study, plan.to_sheet))
        post(
            client,
            key,
            SPREADSHEET_VALUES_BATCH_UPDATE_URL % key,
            {"valueInputOption": "RAW", "data": updates},
            repeatable=True,  # the same values into the same cells
        )
    for entry_key in unwritable:
        plan.base.pop(entry_key, None)
    merged = apply_changes(study, plan.to_app)
    ordered = {i.id: merged.answers[i.id] for i in rubric.items() if i.id in merged.answers}
    return SyncOutcome(
        merged.model_copy(update={"answers": ordered}), plan.base, plan, False, unwritable
    )


def _summary_update(sheets: Sheets, rubric: Rubric, study: SelfStudy) -> list[dict[str, Any]]:
    """The SUMMARY tab rewritten for the sheet's answers, blanking what the old one held."""
    title = next((t for t in sheets if normalize(t) == normalize(SUMMARY)), None)
    if title is None:
        return []
    rows = [[json_cell(c) for c in row] for row in summary_tab(rubric, study).rows]
    old = sheets[title]
    width = max([len(r) for r in rows + old] + [1])
    padded = [row + [""] * (width - len(row)) for row in rows]
    padded += [[""] * width for _ in range(len(old) - len(rows))]
    return [{"range": a1(title, 1, 1), "values": padded}]


def _cell_updates(
    plan: SyncPlan, result: ImportResult, rubric: Rubric
) -> tuple[list[dict[str, Any]], list[str]]:
    """The RAW value ranges that put `plan.to_sheet` into the sheet, and entries with no cell."""
    updates: list[dict[str, Any]] = []
    unwritable: list[str] = []
    for key, entry in plan.to_sheet.items():
        if key == PROGRAM_KEY:
            program = entry or {}
            for field_name, (tab, row, column) in result.program_cells.items():
                updates.append(_update(tab, row, column, program.get(field_name)))
            continue
        cells = result.cells.get(key)
        if cells is None:
            unwritable.append(key)
            continue
        item = rubric.item_by_id[key]
        entry = entry or {}
        updates.append(
            _update(
                cells.tab, cells.row, cells.rating, export_value(rubric, item, entry.get("value"))
            )
        )
        for column, text in (
            (cells.evidence, entry.get("evidence")),
            (cells.notes, entry.get("notes")),
        ):
            if column is not None:
                updates.append(_update(cells.tab, cells.row, column, text or None))
            elif text:
                unwritable.append(key)
    return updates, unwritable


def _update(tab: str, row: int, column: int, value: Cell) -> dict[str, Any]:
    return {"range": a1(tab, row, column), "values": [[json_cell(value)]]}

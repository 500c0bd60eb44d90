"""Import & sync page: upload sheet copies, download copies, connect a study to a Google Sheet.

One uploaded copy is previewed and saved, or compared with the stored study of its
program and round, on its own. Several copies (workbooks, a .zip of them) are read
with a progress bar, shown with what saving would do to each, saved on one click
through the same workflow as `selfstudy import --save`, and reported in one table.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd
import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import (
    current_actor,
    current_study_id,
    get_storage,
    open_study,
    problem_lines,
    rater_name_needed,
    rubric_for,
    rubrics,
    show_problems,
    study_link,
    who,
)
from selfstudy.core.access import Action, NoAccess, normal_name
from selfstudy.core.agreement import TeamAgreement
from selfstudy.core.merge import PROGRAM_KEY, SyncConflict, change_names
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import score
from selfstudy.core.sheetcopy import ImportResult
from selfstudy.core.study import SelfStudy, parse_study
from selfstudy.core.wording import STATUS_LABELS, counted, percent_text, value_text
from selfstudy.edges import gsheets
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.storage import StaleEdit, StoredStudy, StudyNotFound
from selfstudy.edges.workbooks import xlsx_bytes
from selfstudy.workflows import imports, reports, sheet_sync, teams

FROM_COPY = "The one the copy names"
SECRETS_KEY = "gcp_service_account"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUESTIONNAIRE = Path(__file__).parent / "questionnaire.py"
UPLOADS_CLEARED = "import_uploads_cleared"  # how many times the uploader was emptied
KEEP = {"app": "the app's", "sheet": "the sheet's"}
KEEP_ROW_DELETED = {"app": "keep the app's answer", "sheet": "delete it here too"}


# --- importing an uploaded copy -------------------------------------------------------------


def read_upload(files: list, choice: str) -> ImportResult:
    return imports.read_uploaded_copy(
        [(f.name, f.getvalue()) for f in files], None if choice == FROM_COPY else choice
    )


def problem_table(problems: list[Problem], where: str = "Cell") -> None:
    """Every problem on its own row, cell first, wrapped so the whole fix is readable.

    A table reads each cell as Markdown, and a problem quotes what the copy holds. A copy
    left out by the choice for stored rounds, or as a repeat, is of the kind "skipped": it
    is nothing to fix in the copy (the command line counts it an error, to exit 1).
    """
    frame = pd.DataFrame(
        [
            {
                where: markdown.text(p.location),
                "Kind": "skipped" if p.code in imports.SKIPPED else p.severity,
                "Problem and how to fix it": markdown.text(p.message),
                "Code": p.code,
            }
            for p in problems
        ]
    )
    st.table(frame.set_index(where))


def preview(study: SelfStudy, rubric: Rubric) -> None:
    result = score(rubric, study)
    program = study.program
    where = [f"round **{markdown.text(program.round)}**" if program.round else "no round"]
    if program.cohort and program.cohort.strip():
        where.append(f"cohort **{markdown.text(program.cohort)}**")
    st.markdown(
        f"**{markdown.text(program.name)}** · {' · '.join(where)} · {markdown.text(rubric.title)} "
        f"(version {markdown.text(rubric.version)}) · "
        f"{counted(len(study.answers), 'answer')} · {percent_text(result.completeness)} "
        "complete · overall "
        f"**{STATUS_LABELS[result.overall.status]}**"
    )
    rows = [
        {
            "ID": item.id,
            "Statement": item.text,
            "Answer": value_text(rubric, item, study.answers[item.id].value),
            "Evidence": study.answers[item.id].evidence,
        }
        for item in rubric.items()
        if item.id in study.answers
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=260)


def import_section() -> None:
    st.subheader("Import sheet copies")
    st.caption(
        "Upload filled-in copies of the self-study spreadsheet: an .xlsx file, several at "
        "once, a .zip of them (a whole cohort's), or the CSV files of one copy's tabs. "
        "Nothing is saved until you say so, and nothing from a copy with an error."
    )
    names = [FROM_COPY, *[r.id for r in rubrics()]]
    choice = st.selectbox("Rubric", names, key="import_rubric")
    show_flash("upload")
    cleared = st.session_state.get(UPLOADS_CLEARED, 0)
    files = st.file_uploader(
        "Sheet copies (.xlsx files, a .zip of them, or the CSV files of one copy)",
        type=["xlsx", "zip", "csv"],
        accept_multiple_files=True,
        key=f"import_files:{cleared}" if cleared else "import_files",
    )
    if not files:
        show_bulk_report()
        return
    st.session_state.pop(BULK_REPORT, None)
    if is_one_copy(files):
        show_import(read_upload(files, choice), "upload")
    else:
        bulk_import(files, choice)


def show_import(result: ImportResult, key: str, spreadsheet: str | None = None) -> None:
    """The problem report of a copy and, when it has no error, a preview and what to do.

    A copy of a program and round that is not stored yet gets a Save button. One
    that is stored already shows what an update would change and offers to update
    the stored study, keep both, or cancel.

    A copy pulled from a Google Sheet (`spreadsheet`) is saved with the sheet remembered
    as its sync base, so the first sync finds no false conflicts; an update from it
    changes the answers only, like an update from an uploaded copy.
    """
    found = result.problems.errors
    if found:
        st.error(
            f"{counted(len(found), 'problem')} must be fixed in the copy before it can be "
            "imported; nothing was saved. Each row names the cell."
        )
    elif result.problems:
        st.warning(f"The copy can be imported; {counted(len(result.problems), 'thing')} to check.")
    if result.problems:
        problem_table(result.problems)
    if result.study is None:
        return
    rubric = rubric_by_id(result.study.rubric.id, result.study.rubric.version)
    preview(result.study, rubric)
    study = in_cohort(result.study, cohort_for_copies_naming_none(key, [result.study]))
    matches = imports.stored_rounds(get_storage(), study)
    if matches:
        offer_update(study, rubric, matches[0], key, spreadsheet, len(matches))
        return
    try:
        program_id = program_to_save_in(key)
    except NoAccess as exc:
        st.error(problem_lines(exc))
        return
    refusal = creation_refusal(study, program_id)
    if refusal is not None:  # said now, not after a click on a button that would fail
        st.error(f"This copy cannot be saved: {refusal_words(study, refusal.problems)}.")
        problem_table(refusal.problems, where="Where")
        return
    if st.button("Save as a new self-study", type="primary", key=f"save:{key}"):
        save_new(study, key, spreadsheet, program_id)


def creation_refusal(study: SelfStudy, program_id: str | None) -> ProblemsFound | None:
    """What the storage would refuse of saving one copy as a new self-study of `program_id`
    (None: it may be saved), by its own rule, run and rolled back, as for many copies
    (`creation_refusals`)."""
    try:
        return get_storage().creation_refusals([study], program_id).get(0)
    except ProblemsFound as exc:
        return exc


EACH_COPYS_PROGRAM = "The program each copy names"
NO_COHORT = "Leave them without a cohort"


def program_to_save_in(key: str, label: str = "Save it in the program") -> str | None:
    """The program a new self-study goes to: a network admin's copies go to the program they
    name (added when new); a facilitator's too (the storage holds them to their cohorts),
    unless they choose one of the programs they are a member of; anyone else chooses one of
    their own programs here."""
    actor = current_actor()
    if actor.is_admin:
        return None
    own = get_storage().programs_to_begin_in()
    if actor.cohorts_for(Action.CREATE):
        mine = [p for p in own if p.id in actor.programs_for(Action.CREATE)]
        st.caption(where_copies_go(key))
        if not mine:
            return None
        chosen = st.selectbox(
            label,
            [None, *mine],
            format_func=lambda p: EACH_COPYS_PROGRAM if p is None else p.name,
            key=f"program:{key}",
        )
        return chosen.id if chosen is not None else None
    if not own:
        raise NoAccess(
            "Saving a new self-study",
            "you may not begin self-studies in any program; ask a network admin, or a "
            "member of your program, to make you a program member",
        )
    if len(own) == 1:
        what = "It" if key != "bulk" else "New self-studies"
        st.caption(f"{what} will be saved in your program **{markdown.text(own[0].name)}**.")
        return own[0].id
    chosen = st.selectbox(label, own, format_func=lambda p: p.name, key=f"program:{key}")
    return chosen.id


def cohort_names() -> dict[str, str]:
    """The cohorts this facilitator facilitates, by normalised name, as first written."""
    mine = current_actor().cohorts_for(Action.CREATE)
    written = {normal_name(c): c for p in get_storage().programs() for c in p.cohorts}
    return {key: written.get(key, key) for key in sorted(mine)}


def where_copies_go(key: str) -> str:
    """Where a facilitator's copies go, in words: what the storage will hold them to."""
    cohorts = list(cohort_names().values())
    names = ", ".join(f"**{markdown.text(c)}**" for c in cohorts)
    what = "Copies go" if key == "bulk" else "It goes"
    one = len(cohorts) == 1
    yours, them = ("your cohort", "it") if one else ("your cohorts", "one of them")
    return (
        f"{what} to the program{'s' if key == 'bulk' else ''} named in the copy: a program "
        f"in {yours} ({names}), or a new program whose copy names {them}, which "
        "is then added in that cohort. A copy naming a cohort you do not facilitate, or a "
        f"program outside {yours}, is not saved and the report says which. You can "
        "import new self-studies, not change stored ones: that is for each program's members."
    )


def cohort_for_copies_naming_none(key: str, studies: list[SelfStudy]) -> str | None:
    """A facilitator's choice of their cohort for the copies that name no cohort (None: leave
    them without one); asked only of a facilitator, and only when such a copy is there."""
    actor = current_actor()
    if actor.is_admin or not actor.cohorts_for(Action.CREATE):
        return None
    if all(s.program.cohort and s.program.cohort.strip() for s in studies):
        return None
    unnamed = sum(not (s.program.cohort and s.program.cohort.strip()) for s in studies)
    label = (
        "Cohort for the copy, which names none"
        if len(studies) == 1
        else f"Cohort for the {counted(unnamed, 'copy', 'copies')} naming none"
    )
    choices = [*cohort_names().values(), NO_COHORT]
    chosen = st.selectbox(
        label,
        choices,
        key=f"cohort:{key}",
        help="Their Cohort detail is set to it as they are saved. A program not stored yet "
        "can only be added in one of your cohorts.",
    )
    return None if chosen == NO_COHORT else chosen


def in_cohort(study: SelfStudy, cohort: str | None) -> SelfStudy:
    """The study with `cohort` as its cohort when it names none."""
    if cohort is None or (study.program.cohort and study.program.cohort.strip()):
        return study
    return study.model_copy(update={"program": study.program.model_copy(update={"cohort": cohort})})


def save_new(
    study: SelfStudy, key: str, spreadsheet: str | None, program_id: str | None = None
) -> None:
    """Save a copy as a new self-study of `program_id` (None: of the program it names)."""
    try:
        if spreadsheet is None:
            study_id = imports.save_imported(get_storage(), study, who(), program_id)
        else:
            study_id = sheet_sync.keep_pulled_in_database(
                study, spreadsheet, get_storage(), who(), program_id
            )
    except NoAccess as exc:
        st.error(problem_lines(exc))
        return
    open_study(study_id)
    finish(key, f"Saved **{markdown.text(study.program.name)}** and opened it.")


def offer_update(
    study: SelfStudy,
    rubric: Rubric,
    match: str,
    key: str,
    spreadsheet: str | None,
    rounds: int = 1,
) -> None:
    """A stored study has the copy's program and round: what would change, and three choices.

    The stored study is remembered as first shown, so an update is checked against
    what the user saw: an answer someone changed since is refused, not overwritten.
    When `rounds` stored studies have it (kept both before), `match` is the one edited last,
    and the page says so, with a link to it.
    """
    if not get_storage().allows(Action.EDIT, match):
        stored_name = markdown.text(get_storage().get_study(match).study.program.name)
        may_keep_both = get_storage().allows(Action.CREATE, match)
        st.info(
            f"**{stored_name}** ({markdown.text(study.program.round or 'no round')}) is "
            "already stored as a self-study, which you can read but not change: only its "
            "program's members can update it from a copy"
            + (", so ask one of them, or keep both." if may_keep_both else ".")
        )
        if may_keep_both and st.button(
            "Keep both (save as a new self-study)", key=f"keep_both:{key}"
        ):
            save_new(study, key, spreadsheet)
        return
    seen_key = f"seen:{key}:{match}:{hashlib.sha256(study.to_json().encode()).hexdigest()}"
    if seen_key not in st.session_state:
        st.session_state[seen_key] = get_storage().get_study(match)
    seen: StoredStudy = st.session_state[seen_key]
    stored = seen.study.program
    name = markdown.text(stored.name)
    round_words = f"round **{markdown.text(stored.round)}**" if stored.round else "no round"
    st.warning(
        f"**{name}** ({round_words}) is already stored as a self-study. Update it "
        "from this copy, keep both, or cancel."
    )
    if rounds > 1:
        st.caption(
            f"{rounds} self-studies of this program and round are stored (kept both); an "
            f"update changes [the one edited last]({study_link(match)}), edited "
            f"{seen.updated_at:%d %b %Y, %H:%M} UTC."
        )
    changes = imports.what_would_change(seen.study, study, rubric)
    if any(not c.kept for c in changes):
        st.dataframe(changes_frame(changes, rubric), hide_index=True, width="stretch")
    else:
        st.info(
            "Updating would change nothing: the stored self-study already has this copy. "
            "Keeping both would store a second, identical self-study."
        )
    if any(c.kept for c in changes):
        st.caption("Answers the copy leaves blank are not erased: the app's stay as they are.")
    update, keep_both, cancel = st.columns(3)
    if update.button("Update the existing self-study", type="primary", key=f"update:{key}"):
        try:
            changed = imports.update_from_copy(get_storage(), match, study, who(), seen)
        except StaleEdit as stale:
            names = markdown.text(", ".join(dict.fromkeys(c.item_id for c in stale.conflicts)))
            flash(
                key,
                f"{names} changed in the app since you looked, so nothing was updated. "
                "Look at what would change again.",
                warning=True,
            )
            del st.session_state[seen_key]
            st.rerun()
        del st.session_state[seen_key]
        open_study(match)
        what = counted(len(changed), "item") + " changed" if changed else "nothing changed"
        finish(key, f"Updated **{name}**: {what}. It is now open.")
    if keep_both.button("Keep both (save as a new self-study)", key=f"keep_both:{key}"):
        save_new(study, key, spreadsheet)  # a new round of the program the stored one is in
    if cancel.button("Cancel", key=f"cancel:{key}"):
        finish(key, f"Cancelled: nothing was saved, and **{name}** is as it was.", opened=False)


def changes_frame(changes: list[imports.CopyChange], rubric: Rubric) -> pd.DataFrame:
    """What an update would change: item, field, the app's value and the copy's."""
    return pd.DataFrame(
        [
            {
                "Item": "Program details" if c.item_id == PROGRAM_KEY else c.item_id,
                "Field": "answer" if c.field == "value" else c.field,
                "In the app": shown[0],
                "In the copy": shown[1],
            }
            for c in changes
            for shown in [c.texts(rubric)]
        ]
    )


def finish(key: str, message: str, opened: bool = True) -> None:
    """Done with one copy (`key`: "upload" or "pulled"): the upload is emptied, or the sheet
    read is let go, and the page runs again saying what was done, with a link to the
    self-study when one was `opened`. Its buttons are gone then: a second click on Save
    or Keep both would otherwise store the copy again."""
    if key == "upload":
        st.session_state[UPLOADS_CLEARED] = st.session_state.get(UPLOADS_CLEARED, 0) + 1
    else:
        st.session_state.pop("pulled", None)
    flash(key, message, opened=opened)
    st.rerun()


def flash(key: str, message: str, warning: bool = False, opened: bool = False) -> None:
    """A message to show once, on the next run of the page; with a link to the open
    self-study when `opened`."""
    st.session_state[f"flash:{key}"] = (message, warning, opened)


def show_flash(key: str) -> None:
    if shown := st.session_state.pop(f"flash:{key}", None):
        message, warning, opened = shown
        if opened:
            st.success(message)
            st.page_link(
                str(QUESTIONNAIRE), label="Go to the self-study", icon=":material/checklist:"
            )
        else:
            (st.warning if warning else st.info)(message)


# --- importing many copies at once ---------------------------------------------------------

BULK_READ = "bulk_read"  # the copies of the upload, as read once
BULK_REPORT = "bulk_report"  # what the last bulk import did, shown until the next upload
BULK_SAVING = "bulk_saving"  # (upload key, copies saved so far) while a bulk save runs
ON_STORED = {
    "skip": "Skip them (save nothing from them)",
    "update": "Update the stored self-studies from them",
    "keep-both": "Keep both (save them as new self-studies)",
}
ON_STORED_ONE = {
    "skip": "Skip it (save nothing from it)",
    "update": "Update the stored self-study from it",
    "keep-both": "Keep both (save it as a new self-study)",
}
APP_AGAIN_HINT = (
    "choose to skip the copies already stored: keeping both would store the saved ones again"
)
APP_STORED_HINT = (
    "to update the stored self-study from it, or keep both, upload it again and choose what to do "
    "with the copies already stored"
)
OUTCOME_WORDS = {
    "saved": "saved",
    "updated": "updated",
    "skipped": "skipped",
    "not saved": "not saved",
}


def is_one_copy(files: list) -> bool:
    """One workbook, or the CSV files of one copy: the one-copy import with its preview."""
    names = [f.name.lower() for f in files]
    if any(name.endswith(".zip") for name in names):
        return False
    workbooks = [n for n in names if not n.endswith(".csv")]
    return names == workbooks == names[:1] or not workbooks


TEAM = Path(__file__).parent / "team.py"


@dataclass
class BulkRead:
    """An upload's copies as read once (reading is most of an import's time), and what
    saving each would do as first shown."""

    key: str  # the files and rubric, and when they were read (their copies' creation keys)
    results: list[tuple[imports.Source, ImportResult]]
    file_problems: list[Problem]
    reviews: list[imports.CopyReview] | None = None
    keep_both: set[str] | None = None  # stored studies the person may not change, but may
    # save another self-study beside (a facilitator's cohorts' programs)
    refusals: dict[tuple[str | None, str | None], dict[int, ProblemsFound]] = field(
        default_factory=dict
    )  # what the storage would refuse, by position, for each (program, cohort) chosen


def read_bulk(files: list, choice: str) -> BulkRead:
    """The copies of the uploaded files, read with a progress bar; kept for the reruns."""
    digest = hashlib.sha256(choice.encode())
    for f in files:
        digest.update(f"{len(f.name)}:{f.name}:{f.size}:".encode())
        digest.update(hashlib.sha256(f.getvalue()).digest())
    files_key = digest.hexdigest()
    kept: BulkRead | None = st.session_state.get(BULK_READ)
    if kept is not None and kept.key.startswith(files_key):
        return kept
    # This reading of these files: saving it again (a rerun during saving) finds the
    # studies it made, while the same files uploaded another time are another upload.
    key = f"{files_key}:{uuid.uuid4().hex}"
    sources, file_problems = imports.upload_sources(
        [(f.name, f.getvalue()) for f in files], None if choice == FROM_COPY else choice, key
    )
    bar = st.progress(0.0, text=f"Reading {counted(len(sources), 'copy', 'copies')}…")
    read = [0]

    def done(n: int) -> None:
        read[0] += n
        bar.progress(read[0] / max(len(sources), 1), text=f"Read {read[0]} of {len(sources)}")

    results = imports.read_copies(sources, done, workers=1)  # a server's threads: no forks
    bar.empty()
    kept = BulkRead(key, list(zip(sources, results, strict=True)), list(file_problems))
    st.session_state[BULK_READ] = kept
    return kept


def bulk_import(files: list, choice: str) -> None:
    """Several copies at once: read them all, show what saving would do, save on a click."""
    bulk = read_bulk(files, choice)
    good = [(source, result.study) for source, result in bulk.results if result.study]
    failed = [(source, result) for source, result in bulk.results if result.study is None]
    problems = bulk.file_problems + [p for _, r in bulk.results for p in r.problems]
    summary = st.empty()  # filled once the plan below is known: it counts what it saves

    def say(saved: int, unsaved: int = 0) -> None:
        words = f"Read {counted(len(bulk.results), 'copy', 'copies')}: {saved} can be saved"
        if unsaved:
            are = "is" if unsaved == 1 else "are"
            words += f", {unsaved} {are} left out (the list's last column says why)"
        if failed:
            them = "it" if len(failed) == 1 else "them"
            words += (
                f", {len(failed)} cannot (fix the problems below in {them} and upload {them} again)"
            )
        if bulk.file_problems:
            files = len(bulk.file_problems)
            hold = "holds" if files == 1 else "hold"
            words += f"; {counted(files, 'file')} {hold} no copy that could be read"
        (summary.warning if failed or bulk.file_problems else summary.info)(words + ".")

    if problems:
        problem_table(problems, where="Where")
    if not good:
        say(0)
        return
    actor = current_actor()
    may_lead = actor.is_admin or bool(actor.programs_for(Action.EDIT))  # a team's lead edits
    if (
        may_lead
        and len(good) > 1
        and st.toggle(
            "Save them as one team self-study: each copy is one rater's ratings of the same "
            "program and round",
            key="bulk_as_team",
        )
    ):
        say(len(good))
        save_as_team(bulk.key, good)
        return
    if bulk.reviews is None:
        bulk.reviews = imports.review_copies(get_storage(), good)
        bulk.keep_both = {
            r.match
            for r in bulk.reviews
            if r.match is not None
            and not r.editable
            and get_storage().allows(Action.CREATE, r.match)
        }
    reviews = bulk.reviews
    keep_both = bulk.keep_both or set()
    try:
        program_id = program_to_save_in("bulk", "Save the new self-studies in the program")
    except NoAccess as exc:
        say(0, len(good))
        st.error(problem_lines(exc))
        return
    cohort = cohort_for_copies_naming_none("bulk", [study for _, study in good])
    refusals = creation_refusals(bulk, [study for _, study in good], program_id, cohort)
    stored = [
        r
        for r in reviews
        if r.match is not None and (r.editable or r.match in keep_both) and r.repeats is None
    ]
    on_stored = "skip"
    if stored:
        choices = list(ON_STORED)
        if not any(r.editable for r in stored):
            choices.remove("update")
            st.caption(
                "Updating a stored self-study from a copy is for its program's members: ask "
                "one of them, or keep both."
            )
        one = len(stored) == 1
        on_stored = st.radio(
            f"{counted(len(stored), 'copy', 'copies')} {'is' if one else 'are'} of "
            "a program and round already stored",
            choices,
            format_func=(ON_STORED_ONE if one else ON_STORED).get,
            key="bulk_on_stored",
        )
    saving = sum(saves(r, on_stored, keep_both, refusals.get(n)) for n, r in enumerate(reviews))
    say(saving, len(good) - saving)
    st.dataframe(
        plan_frame(reviews, on_stored, keep_both, cohort, refusals),
        hide_index=True,
        width="stretch",
        column_config=PLAN_COLUMNS,
    )
    interrupted = st.session_state.get(BULK_SAVING)
    if interrupted is not None and interrupted[0] == bulk.key:
        st.warning(
            f"Saving was interrupted (the page was used while it saved): "
            f"{len(interrupted[1])} of the {counted(len(good), 'copy', 'copies')} "
            f"{'is' if len(interrupted[1]) == 1 else 'are'} stored. Click Save to "
            "save the others: the copies already saved are found, not saved twice."
        )
    if on_stored == "update":
        for review in stored:
            if any(not c.kept for c in review.changes):
                label = markdown.text(review.source.label)
                with st.expander(f"What updating from {label} would change"):
                    rubric = rubric_by_id(review.study.rubric.id, review.study.rubric.version)
                    st.dataframe(changes_frame(review.changes, rubric), hide_index=True)
    label = f"Save {counted(saving, 'copy', 'copies')}" if saving else "Save none (report why)"
    if st.button(label, type="primary", key="bulk_save"):
        chosen = [(source, in_cohort(study, cohort)) for source, study in good]
        save_bulk(chosen, reviews, on_stored, program_id, keep_both)


TEAM_SAVED = "bulk_team_saved"  # (upload key, the team study made from it)


def save_as_team(key: str, good: list[tuple[imports.Source, SelfStudy]]) -> None:
    """The copies as the raters of one new team self-study, led by this person."""
    saved = st.session_state.get(TEAM_SAVED)
    if saved is not None and saved[0] == key:  # saved already: never twice
        st.success("Saved as one team self-study; it is open now.")
        st.page_link(TEAM, label="Go to the Team page", icon=":material/groups:")
        return
    names = teams.rater_names([(source.stem, study) for source, study in good])
    st.caption(
        "Raters, by each copy's *Completed by* detail, else its file name: "
        + markdown.text(", ".join(names))
        + ". You lead the team: you open the consensus step when everyone's ratings are in."
    )
    if rater_name_needed():
        return
    if not st.button(f"Save as one team self-study of {len(good)} raters", type="primary"):
        return
    try:
        study_id, _ = teams.save_team_copies(
            get_storage(),
            [(source.label, source.stem, study) for source, study in good],
            lead=who(),
            by=who(),
        )
    except ProblemsFound as exc:
        problem_table(list(exc.problems), where="Where")
        return
    st.session_state[TEAM_SAVED] = (key, study_id)
    open_study(study_id)
    st.rerun()


def plan_choice(
    review: imports.CopyReview, on_stored: str, keep_both: Collection[str] = frozenset()
) -> imports.OnMatch:
    """What saving does with one copy, as the table showed it: the choice is for the
    copies stored, which the person may change, and not repeated; a copy shown as new is
    saved as new (kept both), so saving again after an interruption finds the study it
    made by its creation key, where a match would skip it. A stored study the person may
    not change, but may save another beside (`keep_both`), is kept both when so chosen."""
    if review.repeats is not None:
        return "skip"
    if review.match is None:
        return "keep-both"
    if review.editable:
        return cast(imports.OnMatch, on_stored)
    return "keep-both" if on_stored == "keep-both" and review.match in keep_both else "skip"


def creation_refusals(
    bulk: BulkRead, studies: list[SelfStudy], program_id: str | None, cohort: str | None
) -> dict[int, ProblemsFound]:
    """What the storage would refuse of the copies saved as new, by position: its own rule,
    run and rolled back (`Storage.creation_refusals`), so the plan promises only what the
    save will do; asked once for each program and cohort chosen. A refusal of them all
    (the program chosen is gone, say) refuses each."""
    chosen = (program_id, cohort)
    if chosen not in bulk.refusals:
        try:
            refused = get_storage().creation_refusals(
                [in_cohort(study, cohort) for study in studies], program_id
            )
        except ProblemsFound as exc:
            refused = dict.fromkeys(range(len(studies)), exc)
        bulk.refusals[chosen] = refused
    return bulk.refusals[chosen]


def saves(
    review: imports.CopyReview,
    on_stored: str,
    keep_both: Collection[str] = frozenset(),
    refusal: ProblemsFound | None = None,
) -> bool:
    """Whether saving writes this copy (a new self-study not refused, or an update)."""
    choice = plan_choice(review, on_stored, keep_both)
    return choice == "update" or (choice == "keep-both" and refusal is None)


def planned(
    review: imports.CopyReview,
    on_stored: str,
    keep_both: Collection[str] = frozenset(),
    refusal: ProblemsFound | None = None,
    cohort: str | None = None,
) -> str:
    """What saving will do with one copy, in words."""
    if refusal is not None and plan_choice(review, on_stored, keep_both) == "keep-both":
        return f"not saved: {refusal_words(in_cohort(review.study, cohort), refusal.problems)}"
    if review.repeats is not None:  # the reason first: a long file name is cut off
        return f"skipped: another copy is the same program and round ({review.repeats.label})"
    if review.match is None:
        return "saved as a new self-study"
    if not review.editable and review.match in keep_both:
        if on_stored == "keep-both":
            return "saved as another self-study beside the stored one"
        return (
            "skipped: already stored, and you may read it but not change it (ask a member "
            "of its program to update it, or keep both)"
        )
    if not review.editable:
        return "skipped: already stored, and you may read it but not change it"
    differ = sum(not c.kept for c in review.changes)
    if on_stored == "update":
        what = f"{counted(differ, 'field')} {'changes' if differ == 1 else 'change'}"
        return f"updates the stored self-study ({what if differ else 'nothing changes'})"
    if on_stored == "keep-both":
        return "saved as another self-study beside the stored one"
    same = f"it differs in {counted(differ, 'field')}" if differ else "it is the same"
    return f"skipped: already stored ({same})"


def plan_frame(
    reviews: list[imports.CopyReview],
    on_stored: str,
    keep_both: Collection[str] = frozenset(),
    cohort: str | None = None,
    refusals: dict[int, ProblemsFound] | None = None,
) -> pd.DataFrame:
    refusals = refusals or {}
    return pd.DataFrame(
        [
            {
                "Copy": r.source.label,
                "Program": r.study.program.name,
                "Cohort": in_cohort(r.study, cohort).program.cohort or "",
                "Round": r.study.program.round or "",
                "Stored": None if r.match is None else study_link(r.match),
                "When you save": planned(r, on_stored, keep_both, refusals.get(n), cohort),
            }
            for n, r in enumerate(reviews)
        ]
    )


# The sentences take the room the others leave, last; a stored study is a link to open it
# (in a new tab), not its id, and narrow, before the sentence, so it is never scrolled away.
# A row with no study holds None (shown as a grey None): an empty text is drawn as a link
# whose edge opens a blank tab.
PLAN_COLUMNS = {
    "Copy": st.column_config.TextColumn(width="medium"),
    "Stored": st.column_config.LinkColumn(
        width="small",
        display_text="Open",
        help="The self-study of this program and round already stored",
    ),
    "When you save": st.column_config.TextColumn(width="large"),
}
REPORT_COLUMNS = {
    "Copy": st.column_config.TextColumn(width="medium"),
    "Self-study": st.column_config.LinkColumn(
        width="small",
        display_text="Open",
        help="The self-study saved or updated from this copy, or the one of its program and "
        "round already stored",
    ),
    "What happened": st.column_config.TextColumn(width="large"),
}


def save_bulk(
    good: list[tuple[imports.Source, SelfStudy]],
    reviews: list[imports.CopyReview],
    on_stored: str,
    program_id: str | None,
    keep_both: Collection[str] = frozenset(),
) -> None:
    """Save the copies with a progress bar; keep the report for the next run to show."""
    choices = [plan_choice(r, on_stored, keep_both) for r in reviews]
    seen = {r.match: r.seen for r in reviews if r.match is not None and r.seen is not None}
    bar = st.progress(0.0, text=f"Saving {counted(len(good), 'copy', 'copies')}…")
    handled = [0]

    def done(n: int) -> None:
        handled[0] += n
        bar.progress(handled[0] / len(good), text=f"Saved {handled[0]} of {len(good)}")

    # Kept before each batch is written: a click while saving stops this run (Streamlit
    # reruns the page), and what was saved by then is still known to the next run.
    bulk: BulkRead = st.session_state[BULK_READ]
    so_far: list[imports.SavedCopy] = []
    st.session_state[BULK_SAVING] = (bulk.key, so_far)
    stopped: ProblemsFound | None = None
    try:
        saved, problems = imports.save_copies(
            get_storage(),
            good,
            choices,
            who(),
            program_id=program_id,
            seen=seen,
            done=done,
            stored_hint=APP_STORED_HINT,
            so_far=so_far,
            again_hint=APP_AGAIN_HINT,
        )
    except imports.SavingStopped as exc:
        saved, problems, stopped = exc.saved, exc.found, exc
    except ProblemsFound as exc:  # refused, or the database failed, before anything was saved
        bar.empty()
        st.session_state.pop(BULK_SAVING, None)
        st.error(f"Nothing was saved.  \n{problem_lines(exc)}")
        return
    st.session_state.pop(BULK_READ)
    st.session_state.pop(BULK_SAVING, None)
    outcomes = imports.copy_outcomes(good, saved, problems)
    unread = [
        imports.CopyOutcome(source, None, "not saved", problems=list(result.problems.errors))
        for source, result in bulk.results
        if result.study is None
    ]
    # each copy's self-study: the one saved or updated, else the one of its program and round
    # stored already (a copy skipped, or refused beside it), as the list before saving linked
    stored = [o.study_id or r.match for o, r in zip(outcomes, reviews, strict=True)]
    links = stored + [None] * len(unread)
    st.session_state[BULK_REPORT] = (outcomes + unread, links, bulk.file_problems, stopped)
    st.session_state[UPLOADS_CLEARED] = st.session_state.get(UPLOADS_CLEARED, 0) + 1
    st.rerun()


def show_bulk_report() -> None:
    """The one report of the last bulk import: each copy saved, updated, skipped or not
    saved, with every problem where it is."""
    kept = st.session_state.get(BULK_REPORT)
    if kept is None:
        return
    outcomes, links, file_problems, stopped = kept
    counts = Counter(o.status for o in outcomes)
    summary = ", ".join(
        f"{counts[status]} {OUTCOME_WORDS[status]}" for status in OUTCOME_WORDS if counts[status]
    )
    done = counts["saved"] + counts["updated"]
    words = (
        f"{'Imported' if done else 'Nothing was saved from the'} "
        f"{counted(len(outcomes), 'copy', 'copies')}: {summary}."
    )
    if stopped is not None:
        st.error(f"{words}  \n{problem_lines(stopped)}")
    elif counts["skipped"] or counts["not saved"] or file_problems:
        st.warning(words)
    else:
        st.success(words)
    st.dataframe(
        report_frame(outcomes, links),
        hide_index=True,
        width="stretch",
        column_config=REPORT_COLUMNS,
    )
    problems = file_problems + [p for o in outcomes for p in o.problems]
    if problems:
        problem_table(problems, where="Where")
    if st.button("Done", key="bulk_report_done"):
        del st.session_state[BULK_REPORT]
        st.rerun()


def report_frame(outcomes: list[imports.CopyOutcome], links: list[str | None]) -> pd.DataFrame:
    """The report's rows: each copy, its program and round, a link to its self-study (in
    `links`, by position: saved, updated or stored already; None: none) and what happened."""
    return pd.DataFrame(
        [
            {
                "Copy": o.source.label,
                "Program": o.study.program.name if o.study else "",
                "Cohort": (o.study.program.cohort or "") if o.study else "",
                "Round": (o.study.program.round or "") if o.study else "",
                "Self-study": None if link is None else study_link(link),
                "What happened": outcome_text(o),
            }
            for o, link in zip(outcomes, links, strict=True)
        ]
    )


def outcome_text(outcome: imports.CopyOutcome) -> str:
    """One copy's outcome in the words of the command line's report; the problems table
    below it holds each reason in full, where it is."""
    copy = outcome.saved
    if copy is not None and not copy.updated:
        return "saved as a new self-study"
    if copy is not None:
        changed = f"{len(copy.changed)} changed" if copy.changed else "nothing changed"
        return f"updated the stored self-study: {changed}"
    if outcome.study is None:
        return f"not saved: {counted(len(outcome.problems), 'problem')} in the copy"
    reasons = [
        refusal_words(outcome.study, [p]) if p.code in REFUSALS else REASONS.get(p.code, p.code)
        for p in outcome.problems
    ]
    return f"{outcome.status}: {'; '.join(dict.fromkeys(reasons))}" if reasons else outcome.status


REASONS = {  # why a copy that was read was not saved, by problem code
    "already-stored": "its program and round are already stored",
    "repeated-copy": "another copy is the same program and round",
    "another-program": "its details are another program's",
    "changed-during-import": "the stored study changed in the app meanwhile",
}
REFUSALS = {"no-access", "nul-character", "another-program", "unknown-program"}


def refusal_words(study: SelfStudy, problems: list[Problem]) -> str:
    """Why the storage refuses to save a copy as a new self-study, in a few plain words
    (the problems table holds each reason in full, with what to do). The storage words a
    refusal for whoever asks; here the copy's own details say which rule it met."""
    codes = {p.code for p in problems}
    if "nul-character" in codes:
        return "a text in it holds an invisible NUL character, which cannot be stored"
    if "another-program" in codes:
        return REASONS["another-program"]
    if "unknown-program" in codes:
        return "the program chosen to save it in is no longer stored"
    actor = current_actor()
    mine = actor.cohorts_for(Action.CREATE)
    cohort = (study.program.cohort or "").strip()
    if mine and cohort and normal_name(cohort) not in mine:
        return f"it names the cohort {cohort}, which you do not facilitate"
    if any("another program id" in p.message for p in problems):
        return (
            "a program of your cohorts has its name under another program id (give that "
            "id as its Program ID detail, or leave it empty)"
        )
    if mine:
        return (
            "its program is not in your cohorts (a network admin can put it in one, or a "
            "member of the program can import it)"
        )
    return "you may save self-studies only in your own programs"


# --- downloads ------------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def sheet_copy_xlsx(
    study_json: str | None,
    rubric_id: str,
    rubric_version: str,
    agreement: TeamAgreement | None = None,
) -> bytes:
    """A study's .xlsx sheet copy (a blank template without one), made once per version;
    a team study's with its agreement (a Team agreement tab).

    Given to the download button as data rather than as a callable: a deferred
    download's response could be lost when the page reran while it was made.
    """
    study = parse_study(study_json) if study_json else None
    return xlsx_bytes(study, rubric_by_id(rubric_id, rubric_version), agreement)


def download_section(study_id: str | None, study: SelfStudy | None) -> None:
    st.subheader("Download a spreadsheet")
    left, right = st.columns(2)
    with left:
        available = rubrics()
        if available:
            rubric = available[0]
            if len(available) > 1:
                chosen = st.selectbox("Template rubric", [r.id for r in available])
                rubric = next(r for r in available if r.id == chosen)
            template = f"{rubric.id}-template.xlsx"
            xlsx_button("Blank template (.xlsx)", template, None, rubric.id, rubric.version)
    with right:
        if study is not None and study_id is not None:
            name, ref = f"{_slug(study.program.name)}.xlsx", study.rubric
            # a team study's agreement, as far as this person may see it (none before the
            # consensus step opens)
            rubric = rubric_by_id(ref.id, ref.version)
            agreement = reports.team_figures(get_storage(), rubric, study_id).agreement
            xlsx_button(
                "This self-study's sheet copy (.xlsx)", name, study, ref.id, ref.version, agreement
            )
        else:
            st.caption("Open a self-study to download its sheet copy.")


def xlsx_button(
    label: str,
    file_name: str,
    study: SelfStudy | None,
    rubric_id: str,
    version: str,
    agreement: TeamAgreement | None = None,
) -> None:
    """A download button for a sheet copy, or, when the copy cannot be written, why not."""
    try:
        data = sheet_copy_xlsx(study.to_json() if study else None, rubric_id, version, agreement)
    except ProblemsFound as exc:  # a text an Excel cell cannot hold whole
        st.error(f"This .xlsx file cannot be made:  \n{problem_lines(exc)}")
        return
    st.download_button(
        label, data=data, file_name=file_name, mime=XLSX_MIME, icon=":material/download:"
    )


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.casefold()).split()) or "copy"


# --- Google Sheets --------------------------------------------------------------------------


def sheets_client():
    """A gspread client from Streamlit secrets (or the environment), or None with a hint."""
    try:
        info = st.secrets.get(SECRETS_KEY)
    except Exception:  # no secrets file at all
        info = None
    try:
        where = f"Streamlit secrets [{SECRETS_KEY}]"
        credentials = gsheets.configured_credentials(dict(info) if info else None, where)
        if credentials is None:
            st.info(
                "To connect Google Sheets, add a service-account key to the app's secrets "
                f"(`.streamlit/secrets.toml`, a `[{SECRETS_KEY}]` table with the key's fields) "
                f"or set `{gsheets.CREDENTIALS_ENV}` to the key file, then share the sheet "
                "with the service account's email as an editor."
            )
            return None
    except ProblemsFound as exc:
        show_problems(exc)
        return None
    return gsheets.connect(credentials)


def google_section(study_id: str | None, study: SelfStudy | None) -> None:
    st.subheader("Google Sheets")
    if study_id is None or study is None:
        st.caption("Open a self-study to push it to a Google Sheet or sync it with one.")
    elif not get_storage().allows(Action.EDIT, study_id):
        st.caption(
            "Only the members of this self-study's program can push it to a Google Sheet or "
            "sync it; you can download it as a sheet copy above."
        )
    else:
        connected_sheet(study_id, study)
    st.subheader("Import a Google Sheet as a new self-study")
    show_flash("pulled")
    address = st.text_input("Google Sheet URL or key", key="pull_url")
    if address and st.button("Read the sheet", icon=":material/download:"):
        client = sheets_client()
        if client is not None:
            try:
                st.session_state["pulled"] = (address, sheet_sync.pull(client, address))
            except ProblemsFound as exc:
                show_problems(exc)
    pulled = st.session_state.get("pulled")
    if pulled and pulled[0] == address:
        show_import(pulled[1], "pulled", spreadsheet=address)


def connected_sheet(study_id: str, study: SelfStudy) -> None:
    st.caption(
        "Push writes this self-study into the sheet (tabs and dropdowns included). Sync "
        "brings in answers changed in the sheet, sends answers changed here, and shows "
        "answers changed in both places side by side for you to choose."
    )
    address = st.text_input("Google Sheet URL or key", key=f"sheet_url:{study_id}")
    if not address:
        return
    client = sheets_client()
    if client is None:
        return
    push, sync = st.columns(2)
    message = st.session_state.pop(f"sync_message:{study_id}", None)
    try:
        if push.button("Push to the sheet", icon=":material/upload:"):
            target = sheet_sync.open_stored(get_storage(), study_id)
            report = sheet_sync.push(target, client, address)
            tabs = markdown.text(", ".join(report.created))
            created = f" Created tabs: {tabs}." if report.created else ""
            st.success(f"Pushed **{markdown.text(study.program.name)}** to the sheet.{created}")
            st.session_state.pop(f"conflicts:{study_id}", None)
        if sync.button("Sync with the sheet", icon=":material/sync:"):
            run_sync(study_id, client, address, {})
            message = st.session_state.pop(f"sync_message:{study_id}", None)
    except ProblemsFound as exc:
        show_problems(exc)
        return
    if message:
        st.success(message)
    if warning := st.session_state.pop(f"sync_warning:{study_id}", None):
        st.warning(warning)
    conflicts: list[SyncConflict] = st.session_state.get(f"conflicts:{study_id}", [])
    if conflicts:
        choose_conflicts(study_id, study, client, address, conflicts)


def run_sync(study_id: str, client, address: str, choices: dict) -> None:
    target = sheet_sync.open_stored(get_storage(), study_id)
    try:
        outcome = sheet_sync.sync(target, client, address, choices)
    except ProblemsFound as exc:
        if "stale-edit" not in exc.codes():
            raise
        # Someone changed an answer here during the sync: nothing came in, the choices stay.
        st.session_state[f"sync_warning:{study_id}"] = (
            "An answer was changed in the app while the sheet was read, so nothing was "
            "taken from the sheet. Sync again."
        )
        return
    st.session_state[f"conflicts:{study_id}"] = outcome.plan.conflicts
    plan = outcome.plan
    if outcome.pushed_layout:
        message = "The sheet was empty, so the whole self-study was written to it."
    else:
        message = (
            f"Synced. From the sheet: {markdown.text(change_names(plan.to_app))}. "
            f"To the sheet: {markdown.text(change_names(plan.to_sheet))}."
            + (
                f" {counted(len(plan.conflicts), 'conflict')} to choose below."
                if plan.conflicts
                else ""
            )
        )
    for key in outcome.unwritable:
        message += f" {markdown.text(key)} has no row in the sheet, so it was not written there."
    st.session_state[f"sync_message:{study_id}"] = message


def choose_conflicts(
    study_id: str, study: SelfStudy, client, address: str, conflicts: list[SyncConflict]
) -> None:
    rubric = rubric_for(study)
    st.markdown("#### Changed in both places: choose which to keep")
    head = st.columns([3, 3, 3, 2])
    for column, title in zip(head, ["Item", "In the app", "In the sheet", "Keep"], strict=True):
        column.markdown(f"**{title}**")
    choices = {}
    for conflict in conflicts:
        item, app, sheet, keep = st.columns([3, 3, 3, 2])
        item.markdown(_item_label(rubric, conflict.key))
        app.markdown(_entry_text(rubric, conflict.key, conflict.app))
        if conflict.row_deleted:
            sheet.markdown("_its row was deleted in the sheet_")
        else:
            sheet.markdown(_entry_text(rubric, conflict.key, conflict.sheet))
        sides = KEEP_ROW_DELETED if conflict.row_deleted else KEEP
        choices[conflict.key] = keep.radio(
            f"Keep for {markdown.text(conflict.key)}",
            list(sides),
            format_func=sides.get,
            key=f"keep:{study_id}:{conflict.key}",
            label_visibility="collapsed",
        )
    if st.button("Apply my choices", type="primary"):
        try:
            run_sync(study_id, client, address, choices)
        except ProblemsFound as exc:
            show_problems(exc)
        st.rerun()


def _item_label(rubric: Rubric, key: str) -> str:
    if key == PROGRAM_KEY:
        return "Program details"
    item = rubric.item_by_id.get(key)
    return f"**{markdown.text(key)}** {markdown.text(item.text)}" if item else markdown.text(key)


def _entry_text(rubric: Rubric, key: str, entry: dict | None) -> str:
    """One side of a conflict as Markdown: what the app or the sheet holds, as written."""
    if entry is None:
        return "_no answer_"
    if key == PROGRAM_KEY:
        return markdown.text("; ".join(f"{k}: {v}" for k, v in entry.items() if v))
    item = rubric.item_by_id[key]
    text = markdown.text(value_text(rubric, item, entry.get("value")))
    for part in ("evidence", "notes"):
        if entry.get(part):
            text += f"  \n_{part}:_ {markdown.text(entry[part])}"
    return text


# --- the page -------------------------------------------------------------------------------


def page() -> None:
    st.title("Import & sync")
    study_id = current_study_id()
    study = None
    if study_id:
        try:
            study = get_storage().get_study(study_id).study
        except StudyNotFound:
            study_id = None
    if study is not None:
        st.caption(f"Open self-study: **{markdown.text(study.program.name)}**")
    # keyed, so the tab chosen stays chosen when a save opens a study and the caption above
    # appears (else the tabs are drawn anew, on Import, and a Google Sheet's message is hidden)
    importing, downloading, google = st.tabs(
        ["Import", "Download", "Google Sheets"], key="import_sync_tab"
    )
    with importing:
        import_section()
    with downloading:
        download_section(study_id, study)
    with google:
        google_section(study_id, study)


page()

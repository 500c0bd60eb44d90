"""What every page shares: who is using the app, the storage as they may use it, the stored
studies, rubrics, and the open study.

The database is the only source of truth; a browser session remembers only who
signed in and which study is open (also in the `?study=` link). Every page reaches
the database through `get_storage()`, which acts for the person in front of it:
what they may not see is never read, whatever a page draws.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ParamSpec
from urllib.parse import urlencode

import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.signin import signed_in_identity
from selfstudy.core.access import (
    NOBODY,
    Action,
    Actor,
    Identity,
    NoAccess,
    admins_from_setting,
)
from selfstudy.core.problem_codes import CODES
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import available_rubrics, rubric_by_id
from selfstudy.edges.storage import (
    DatabaseError,
    Storage,
    StoredStudy,
    StudyNotFound,
    database_url,
)

# The ids `Storage` makes (`secrets.token_urlsafe`), as long as its id column holds: only such
# an id is ever shown, since a `?study=` link may say anything.
STUDY_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
STUDY_KEY = "study_id"
WHO_KEY = "who"
RATER_NAME_KEY = "rater-name"  # without sign-in: the name this browser session rates as
PERSON_KEY = "person"  # (issuer, subject, person id) of whoever signed in in this session
ACTOR_KEY = "actor"  # who this page run acts for, with their grants as they are now
ADMINS_VARIABLE = "SELFSTUDY_ADMINS"
P = ParamSpec("P")
_log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _storage_for(url: str) -> Storage:
    """The database of a URL, shared by every session of this server; acting for nobody."""
    return Storage(url, actor=NOBODY)


def get_storage() -> Storage:
    """The app's storage acting for this session's person (see `enter`).

    It raises `DatabaseError` when the database cannot be used, as every call on it
    may: `main.run` shows it on any page with `show_database_trouble`; and `NoAccess`
    for what the person may not read or change.
    """
    return _storage_for(database_url()).acting_as(current_actor())


def configured_admins() -> frozenset[str]:
    """The first network admins: `SELFSTUDY_ADMINS`, and `admins` under `[selfstudy]` in the
    secrets (emails, separated by commas). They are made admins when they sign in with that
    email, verified by the provider."""
    named = os.environ.get(ADMINS_VARIABLE, "")
    settings = st.secrets.get("selfstudy", {}) if st.secrets.load_if_toml_exists() else {}
    admins = settings.get("admins", "") if hasattr(settings, "get") else ""
    if isinstance(admins, list | tuple):
        admins = ",".join(map(str, admins))
    return admins_from_setting(f"{named},{admins}")


def enter(identity: Identity | None) -> Actor:
    """Decide who this page run acts for, before any page reads the database.

    Without sign-in (`identity` None) it is this browser session, which may do
    everything: the single-team tool on one machine. A signed-in person is recorded at
    their first page of a session (taking up invitations for their verified email);
    on every page after it their grants are read again, so access taken away is gone
    at their next click.
    """
    if identity is None:
        actor = Actor.local(st.session_state.get(RATER_NAME_KEY) or who_locally())
    else:
        storage = _storage_for(database_url())
        known = st.session_state.get(PERSON_KEY)
        if known and known[:2] == (identity.issuer, identity.subject):
            actor = storage.actor_of(known[2], identity.label)
        else:
            actor = storage.sign_in(identity, configured_admins())
            st.session_state[PERSON_KEY] = (identity.issuer, identity.subject, actor.person_id)
    st.session_state[ACTOR_KEY] = actor
    return actor


def current_actor() -> Actor:
    """Who this page run acts for, as `enter` decided; a page run on its own (as tests run
    one) decides here, through the same sign-in gate."""
    if ACTOR_KEY not in st.session_state:
        return enter(signed_in_identity())
    return st.session_state[ACTOR_KEY]


def database_trouble(problem: Problem, retry: str) -> str:
    """A database failure in words for whoever uses the app: what happened, and whom to tell.

    The problem's own line names the file, the setting or the server to fix, for whoever
    runs the app: it goes to the server's log (it holds no password and nothing typed).
    """
    _log.warning("%s", problem)
    what = CODES.get(problem.code, CODES["database-failed"])[0]
    return (
        f"{what}. {retry}; if it keeps happening, tell whoever runs the app: the app's log "
        f"says what to do (problem `{problem.code}`)."
    )


def show_database_trouble(exc: DatabaseError) -> None:
    """One line on the page that says why the database cannot be used (never a traceback)."""
    st.error(
        "**The database cannot be used right now.** "
        + database_trouble(exc.problem, "Reload the page in a moment to try again")
    )


def problem_lines(exc: ProblemsFound) -> str:
    """Every problem on a line of its own (where, what is wrong, how to fix it), as Markdown."""
    return "  \n".join(markdown.text(str(problem)) for problem in exc.problems)


def show_problems(exc: ProblemsFound) -> None:
    st.error(problem_lines(exc))


def database_trouble_shown(draw: Callable[P, None]) -> Callable[P, None]:
    """`draw`, with a failing database (or access taken away) shown as one line instead of
    an error box.

    For the parts of a page that rerun on their own (fragments), which the
    `main.run` guard around the whole page does not see.
    """

    @functools.wraps(draw)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            draw(*args, **kwargs)
        except DatabaseError as exc:
            show_database_trouble(exc)
        except NoAccess as exc:  # access taken away while the page was open
            show_problems(exc)

    return guarded


Fingerprint = tuple[int, datetime | None, int, str]


@st.cache_resource(show_spinner="Reading the self-studies…", max_entries=16)
def _stored(url: str, fingerprint: Fingerprint, actor: Actor) -> list[tuple[str, SelfStudy]]:
    return _storage_for(url).acting_as(actor).all_studies()


def stored_studies(fingerprint: Fingerprint | None = None) -> list[tuple[str, SelfStudy]]:
    """Every study this person may compare as (id, study), oldest first, shared by the
    sessions of everyone with the same access: do not modify.

    Reading them all is slow (about a second for 1,000 studies), so they are read
    again only when `Storage.fingerprint()` changes: a study added, removed or edited.
    Pass the fingerprint when the caller keys its own caches on it too.
    """
    if fingerprint is None:
        fingerprint = get_storage().fingerprint()
    return _stored(database_url(), fingerprint, access_scope())


def access_scope() -> Actor:
    """What this person may see, and nothing else about them: the key of every cache that
    sessions share (two people with the same grants share one; nobody gets another's)."""
    actor = current_actor()
    return Actor.local() if actor.everything else Actor("", actor.grants)


@st.cache_resource(show_spinner=False, ttl=10)
def _rubric_by_ref(rubric_id: str, version: str) -> Rubric:
    return rubric_by_id(rubric_id, version)


def rubric_for(study: SelfStudy) -> Rubric:
    """The rubric a study names; stops the page with a clear message when it is missing.

    `rubric_files` caches each rubric file until it changes; looking the id up scans the
    folder, so the answer is kept for a few seconds (an edited rubric shows within 10 s).
    """
    try:
        return _rubric_by_ref(study.rubric.id, study.rubric.version)
    except ProblemsFound as exc:
        # The report names the id only when it is a proper one: a stored id is data.
        st.error(
            "This self-study uses a rubric that is not in the rubric folder. "
            "Add that rubric file to `rubrics/` and reload.\n\n" + problem_lines(exc)
        )
        st.stop()
        raise


def rubrics() -> list[Rubric]:
    return available_rubrics()


READ_ONLY_KEY = "read-only"  # the study this session may read but not change, if any


def note_read_only(study_id: str) -> bool:
    """Decide, once per page run, whether this person may only read the open study; the
    inputs drawn for it (fragments too) are disabled then. The storage refuses a change
    anyway: this only spares them typing what cannot be saved."""
    read_only = not get_storage().allows(Action.EDIT, study_id)
    st.session_state[READ_ONLY_KEY] = study_id if read_only else None
    return read_only


def read_only(study_id: str) -> bool:
    return st.session_state.get(READ_ONLY_KEY) == study_id


def current_study_id() -> str | None:
    """The open study: the `?study=` link wins, else the one this session opened."""
    from_link = st.query_params.get("study")
    if from_link:
        st.session_state[STUDY_KEY] = from_link
        return from_link
    study_id = st.session_state.get(STUDY_KEY)
    if study_id:
        st.query_params["study"] = study_id
    return study_id


def no_such_study(study_id: str) -> str:
    """Why no stored study has this id, quoting it only when it is one `Storage` could make."""
    if STUDY_ID.fullmatch(study_id):
        return f"There is no self-study with the id `{study_id}`; it may have been deleted."
    return "The link does not name a self-study: its `study=` part is not an id the app makes."


START_PAGE = Path(__file__).parent / "pages" / "start.py"


def stored_open_study() -> StoredStudy | None:
    """The open self-study as stored; None (with the words why, and a link to the Start
    page) when none is open or it is gone: how a page about one study begins."""
    study_id = current_study_id()
    if not study_id:
        st.info("No self-study is open. Begin one or resume one on the Start page.")
    else:
        try:
            return get_storage().get_study(study_id)
        except StudyNotFound:
            st.error(no_such_study(study_id))
    st.page_link(START_PAGE, label="Go to the Start page", icon=":material/home:")
    return None


def open_study(study_id: str) -> None:
    st.session_state[STUDY_KEY] = study_id
    st.query_params["study"] = study_id


STUDY_PAGE = "self-study"  # the Self-study page's URL path (`main.PAGE_TABLE`)


def study_link(study_id: str, dimension_id: str | None = None) -> str:
    """The link that opens a stored self-study on the Self-study page (at a dimension),
    relative to the app's pages (a table's link column opens it in a new tab, as the same
    person)."""
    query = {"study": study_id} | ({"dimension": dimension_id} if dimension_id else {})
    return f"{STUDY_PAGE}?{urlencode(query)}"


def who() -> str:
    """Who the history records for this browser's changes: the signed-in person's email
    (or name), or without sign-in this browser session's own short name."""
    return current_actor().label or who_locally()


def signed_in() -> bool:
    """Whether this session acts for a signed-in person (not the single-team tool)."""
    return current_actor().person_id is not None


def rater_name_needed() -> bool:
    """Without sign-in there are no people, so a team's rater is whoever gives the rater's
    name: ask this browser session for its name once (it then names every change it
    makes too). True while it is still needed: the caller draws nothing more."""
    if signed_in() or st.session_state.get(RATER_NAME_KEY):
        return False
    st.info(
        "Sign-in is off here, so the team knows you by the name you give: give the same "
        "name each time you come back, and your ratings are yours again. Anyone who can "
        "open this address could give your name too; to keep ratings truly private, turn "
        "sign-in on (see the README's Sign-in and access)."
    )
    with st.form("ask-rater-name"):
        name = st.text_input("Your name, as your team knows you", max_chars=200)
        if st.form_submit_button("Continue") and " ".join(name.split()):
            st.session_state[RATER_NAME_KEY] = " ".join(name.split())
            st.session_state.pop(ACTOR_KEY, None)
            enter(None)
            st.rerun()
    return True


def who_locally() -> str:
    """Without sign-in there are no people, only browser sessions: each gets a short name
    of its own, the same for every change it makes."""
    if WHO_KEY not in st.session_state:
        st.session_state[WHO_KEY] = f"browser session {secrets.token_hex(3)}"
    return st.session_state[WHO_KEY]

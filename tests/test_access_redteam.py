"""Red-team checks of sign-in and access (issue 11): someone signed in tries to reach, or to
change, what is not theirs.

Each test plays one attack through the real storage (SQLite, and PostgreSQL when
`SELFSTUDY_TEST_POSTGRES_URL` is set) or the real app (AppTest, signed in through
Streamlit's own stand-in for the provider's claims), and asserts what the program whose
data it is would check: that nothing of theirs was read, changed or spoken for.
"""

from __future__ import annotations

import contextlib
import math

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.access import Identity, admins_from_setting
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.study import Program, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from selfstudy.workflows import cohorts as cohort_workflow

ISSUER = "https://accounts.example.test"
APP = str(PROJECT_ROOT / "app.py")
COHORTS_PAGE = str(PROJECT_ROOT / "selfstudy" / "app" / "pages" / "cohorts.py")
QUESTIONNAIRE = "selfstudy/app/pages/questionnaire.py"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-0123456789abcdef",
    "client_id": "selfstudy",
    "client_secret": "client-secret-0123456789",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}
A_COHORT = "2025 Network cohort"


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch) -> None:
    for name in ("SELFSTUDY_PSEUDONYM_SECRET", "SELFSTUDY_ADMINS", "SELFSTUDY_AS"):
        monkeypatch.delenv(name, raising=False)


def person(email: str, verified: bool = True, subject: str | None = None) -> Identity:
    return Identity(ISSUER, subject or "sub-" + email.split("@")[0], email, verified)


def as_person(storage: Storage, identity: Identity, admins: frozenset[str] = frozenset()):
    """The database as `identity` uses it after signing in, with the grants they hold now."""
    actor = storage.sign_in(identity, admins)
    return storage.acting_as(storage.actor_of(actor.person_id, actor.label))


def sample(samples: list[SelfStudy], program_id: str, round_: str) -> SelfStudy:
    return next(s for s in samples if (s.program.id, s.program.round) == (program_id, round_))


def programs_of(storage: Storage) -> dict[str, str]:
    """Program id by the sample program id of its studies (p01, p02, …)."""
    stored = dict(storage.all_studies())
    return {stored[s.id].program.id: s.program_id for s in storage.list_studies()}


# --- who is a network admin ---------------------------------------------------------------


def test_a_configured_admin_whose_access_was_taken_away_stays_without_it(storage):
    """`SELFSTUDY_ADMINS` names the *first* admins: once another admin takes the role away
    (someone left, or an account was taken over), signing in again must not give it back."""
    admins = admins_from_setting("director@network.example")
    director = person("director@network.example")
    assert as_person(storage, director, admins).actor.is_admin
    storage.invite("deputy@network.example", "admin")
    deputy = as_person(storage, person("deputy@network.example"), admins)
    grant = next(
        e.grant_id
        for e in deputy.access()
        if e.email == "director@network.example" and e.role is not None
    )
    deputy.remove_access(grant)

    again = as_person(storage, director, admins)  # a new browser session: signs in again

    assert not again.actor.is_admin
    assert [e.role for e in deputy.access() if e.email == "director@network.example"] == [None]


def test_a_configured_admin_email_is_not_matched_by_a_different_mailbox(storage):
    """`director@maßstem.example` is another domain (another mailbox) than
    `director@massstem.example`, though Python's casefold makes them one text; whoever owns
    it and has it verified by a provider must not become the network's admin."""
    admins = admins_from_setting("director@massstem.example")
    impostor = person("director@maßstem.example", subject="sub-impostor")
    assert not as_person(storage, impostor, admins).actor.is_admin


def test_an_invitation_is_not_taken_up_by_a_different_mailbox(storage, sample_set):
    storage.create_study(sample(sample_set, "p01", "baseline"))
    [program] = storage.programs()
    storage.invite("ana@strasse.example", "member", program.id)
    other = as_person(storage, person("ana@straße.example", subject="sub-other"))
    assert other.actor.grants == frozenset()
    assert other.list_studies() == []


# --- who the history names --------------------------------------------------------------


def test_the_history_does_not_name_an_email_the_provider_did_not_verify(storage, sample_set):
    """A member whose provider lets her type any email (unverified) must not make her
    changes look like the network director's."""
    study_id = storage.create_study(sample(sample_set, "p01", "baseline"))
    [program] = storage.programs()
    storage.invite("mia@bridge.example", "member", program.id)
    as_person(storage, person("mia@bridge.example"))  # her invitation, verified
    spoofed = as_person(
        storage, person("director@network.example", verified=False, subject="sub-mia")
    )
    item = next(iter(spoofed.get_study(study_id).study.answers))
    seen = spoofed.get_study(study_id).field_revisions[item]["notes"]
    spoofed.save_field(study_id, item, "notes", "changed by Mia", seen)
    [change] = storage.history(study_id, item)[:1]
    assert change.new == "changed by Mia"
    assert change.changed_by != "director@network.example"


# --- what a program member can make the network see of another program --------------------


def _network(storage: Storage, samples: list[SelfStudy]):
    """Programs A (p01, in the 2025 cohort) and B (p02, 2026); Ben is a member of B, Fay
    facilitates the 2025 cohort, Ada is a network admin."""
    storage.create_study(sample(samples, "p01", "baseline"))
    storage.create_study(sample(samples, "p02", "baseline"))
    ids = programs_of(storage)
    storage.invite("ben@valley.example", "member", ids["p02"])
    storage.invite("fay@network.example", "facilitator", cohort=A_COHORT)
    storage.invite("ada@network.example", "admin")
    ben = as_person(storage, person("ben@valley.example"))
    fay = as_person(storage, person("fay@network.example"))
    ada = as_person(storage, person("ada@network.example"))
    return ids, ben, fay, ada


def _compared(store: Storage, pseudonyms: bool = False):
    rubric, studies = cohort_workflow.rubric_and_studies(
        store.all_studies(), store.all_studies()[0][1].rubric.id
    )
    usable, _ = cohort_workflow.comparable(studies, rubric)
    scores, _ = cohort_workflow.scores_of(rubric, usable)
    chosen = cohort_workflow.choose(scores, pseudonymize=pseudonyms, storage=store)
    # Every study counts, however unfinished: these cases are about whose study is whose.
    return cohort_workflow.comparison(chosen, min_complete=0).scores


def _level(scores, key: str, round_: str) -> float:
    programs = scores.programs.reset_index(drop=True)
    [row] = programs.index[(programs["key"] == key) & (programs["round"] == round_)]
    return float(scores.overall_level[row])


# How Ben names program A in a study of his own program: with A's details as they are, or
# with no program id and A's program id as the name (a comparison pairs a study's rounds by
# its program id, else by its name: `core.cohorts.table.programs_table`).
AS_A = {
    "A's details": lambda a: a.model_dump(),
    "A's id as the name": lambda a: {**a.model_dump(), "id": None, "name": a.id},
}


@pytest.mark.parametrize("naming", AS_A)
def test_a_member_cannot_replace_another_programs_round_in_the_cohort_comparison(
    storage, sample_set, naming
):
    """Ben (program B) saves, in his own program, a self-study whose details name program
    A and A's cohort and round. The facilitator of A's cohort must still see A's own
    baseline as A's, not Ben's."""
    ids, ben, fay, _ = _network(storage, sample_set)
    before = _level(_compared(fay), "p01", "baseline")
    a_details = sample(sample_set, "p01", "baseline").program
    forged = sample(sample_set, "p02", "baseline").model_copy(
        update={"program": Program(**AS_A[naming](a_details))}
    )
    with contextlib.suppress(ProblemsFound):  # refusing it would close the hole too
        ben.create_study(forged, program_id=ids["p02"])
    after = _level(_compared(fay), "p01", "baseline")
    assert after == before or (math.isnan(after) and math.isnan(before))


@pytest.mark.parametrize("naming", AS_A)
def test_a_member_cannot_learn_another_programs_pseudonym(storage, sample_set, naming):
    """Pseudonymised cohort downloads are shared outside the network; only the secret
    keeps a code from being matched to a program. Ben names a study of his own program
    after program A and reads its code on his Cohorts page: it must not be A's code."""
    ids, ben, _, ada = _network(storage, sample_set)
    network_view = _compared(ada, pseudonyms=True).programs
    a_code = network_view["program"][network_view["round"] == "baseline"].iloc[0]
    assert set(network_view["program"]) != {a_code}  # B has a code of its own
    a_details = sample(sample_set, "p01", "baseline").program
    probe = SelfStudy(
        rubric=sample(sample_set, "p02", "baseline").rubric,
        program=Program(**{**AS_A[naming](a_details), "round": "probe", "cohort": None}),
    )
    with contextlib.suppress(ProblemsFound):
        ben.create_study(probe, program_id=ids["p02"])
    bens_codes = set(_compared(ben, pseudonyms=True).programs["program"])
    network_codes = dict(zip(network_view["key"], network_view["program"], strict=True))
    assert network_codes[_pseudonymised_key(ada, "p01")] not in bens_codes


def _pseudonymised_key(ada: Storage, program: str) -> str:
    """The code the admin's pseudonymised view gives the program with sample id `program`."""
    plain = _compared(ada).programs.reset_index(drop=True)
    coded = _compared(ada, pseudonyms=True).programs.reset_index(drop=True)
    return coded["key"][plain.index[plain["key"] == program][0]]


def _refusal(store: Storage, study: SelfStudy, program_id: str | None) -> str:
    """What the storage says when `study` is refused ('' when it is stored)."""
    try:
        store.create_study(study, program_id=program_id)
    except ProblemsFound as exc:
        return "\n".join(str(problem) for problem in exc.problems)
    return ""


def test_a_refused_study_does_not_tell_a_member_another_programs_name(storage, sample_set):
    """Program ids are often short and guessable (p01, p02, …): a refusal must not answer
    "which program has this id?" with its name."""
    ids, ben, _, _ = _network(storage, sample_set)
    rubric = sample(sample_set, "p02", "baseline").rubric
    guess = SelfStudy(rubric=rubric, program=Program(name="Guess", id="p01", round="probe"))
    said = _refusal(ben, guess, ids["p02"])
    assert sample(sample_set, "p01", "baseline").program.name not in said


def test_a_member_cannot_tell_whether_a_program_they_do_not_belong_to_exists(storage, sample_set):
    """Beginning a self-study of a program named in its details (as an import or a pulled
    sheet does) is refused alike whether or not another program has that id."""
    _, ben, _, _ = _network(storage, sample_set)
    rubric = sample(sample_set, "p02", "baseline").rubric
    existing = SelfStudy(rubric=rubric, program=Program(name="Guess", id="p01"))
    missing = SelfStudy(rubric=rubric, program=Program(name="Guess", id="p99"))
    assert _refusal(ben, existing, None) == _refusal(ben, missing, None) != ""


# --- the app: access taken away, and caches shared between sessions ----------------------


def signed_in(email: str, subject: str | None = None) -> dict:
    return {
        "is_logged_in": True,
        "iss": ISSUER,
        "sub": subject or "sub-" + email.split("@")[0],
        "email": email,
        "email_verified": True,
    }


def app_as(user: dict, study_id: str | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    if study_id is not None:
        at.query_params["study"] = study_id
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_an_answer_given_after_access_was_taken_away_is_not_saved(db, sample_set):
    """ "Taking access away takes effect at that person's next click": Mia's next click is
    an answer, whose save runs (as a widget callback) before the page asks who she is."""
    study_id = db.create_study(sample(sample_set, "p01", "baseline"))
    [program] = db.programs()
    grant = db.invite("mia@bridge.example", "member", program.id)
    at = app_as(signed_in("mia@bridge.example"), study_id, QUESTIONNAIRE)
    rating = next(s for s in at.segmented_control if s.label.startswith("PG.1.a — "))
    before = db.get_study(study_id).study.answers["PG.1.a"]

    db.remove_access(grant)  # a network admin takes her access away
    rating.set_value(1 if before.value != 1 else 2).run()

    assert db.get_study(study_id).study.answers["PG.1.a"] == before
    assert not [c for c in db.history(study_id, "PG.1.a") if c.changed_by == "mia@bridge.example"]


def test_a_facilitator_no_longer_sees_a_program_taken_out_of_her_cohort(db, sample_set):
    """Programs are moved between cohorts by an admin; the Cohorts page is cached per
    (database, what the person may see, fingerprint). Taking P out of the cohort and
    putting R in leaves the count and the latest edit as they were."""
    p = db.create_study(sample(sample_set, "p02", "baseline"))
    r = db.create_study(sample(sample_set, "p03", "baseline"))
    a = db.create_study(sample(sample_set, "p01", "baseline"))  # the latest edit
    program = {s.id: s.program_id for s in db.list_studies()}
    db.set_cohort(program[a], "Review")
    db.set_cohort(program[p], "Review")
    db.invite("fay@network.example", "facilitator", cohort="Review")
    p_name = sample(sample_set, "p02", "baseline").program.name
    r_name = sample(sample_set, "p03", "baseline").program.name

    def programs_shown() -> str:
        at = AppTest.from_file(COHORTS_PAGE, default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = signed_in("fay@network.example")
        at.run()
        at.session_state["cohort_view"] = "One program"  # only the open tab is drawn
        at.run()
        assert not at.exception, at.exception
        return " ".join(next(s for s in at.selectbox if s.label == "Program").options)

    assert p_name in programs_shown()
    db.set_cohort(program[p], "Review", member=False)
    db.set_cohort(program[r], "Review")

    shown = programs_shown()
    assert p_name not in shown
    assert r_name in shown

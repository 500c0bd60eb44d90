"""The sign-in gate without a browser: what the provider's claims make of a person, and what
the app shows for each kind of `[auth]` setting (AppTest, with Streamlit's own stand-ins
for the secrets and for the signed-in user; tests/test_browser_signin.py signs in for real).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.app.signin import identity_from_claims
from selfstudy.core.access import Identity
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
ISSUER = "https://accounts.example.test"
PROVIDER = {
    "client_id": "selfstudy",
    "client_secret": "client-secret-0123456789",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}
SHARED = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-0123456789abcdef",
}
PROGRAM = "Harbor Lights Robotics Club"


def claims(**extra: object) -> dict[str, object]:
    return {"is_logged_in": True, "iss": ISSUER, "sub": "248289761001"} | extra


@pytest.mark.parametrize(
    ("sent", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),  # some providers send it as text
        ({"email_verified": False}, False),
        ({}, False),  # a provider that says nothing of it
        ({"email_verified": "yes"}, False),
        ({"email_verified": 1}, False),
    ],
)
def test_an_email_counts_as_verified_only_when_the_provider_says_so(sent, verified):
    identity = identity_from_claims(claims(email="ana@example.test", **sent))
    assert identity.email_verified is verified


def test_the_claims_are_passed_on_as_text_and_anything_else_is_left_out():
    identity = identity_from_claims(
        claims(email=["ana@example.test"], name="  ", email_verified=True, picture="x")
    )
    assert identity == Identity(ISSUER, "248289761001", None, True, None)
    hostile = "[Ana](http://evil.example) <b>"
    assert identity_from_claims(claims(name=hostile)).name == hostile


@pytest.mark.parametrize("missing", ["iss", "sub"])
def test_claims_without_an_issuer_or_a_subject_name_nobody(missing):
    assert identity_from_claims({k: v for k, v in claims().items() if k != missing}) is None
    assert identity_from_claims(claims(**{missing: ""})) is None


# --- the app --------------------------------------------------------------------------------


@pytest.fixture
def stored_program(db, default_rubric):
    db.create_study(SelfStudy.new(default_rubric, PROGRAM, round="baseline"))


def app(auth: dict | None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    return at.run()


def everything_shown(at: AppTest) -> str:
    parts = [str(e.value) for e in [*at.markdown, *at.title, *at.error, *at.caption]]
    return "\n".join(parts + [b.label for b in at.button])


def test_with_sign_in_set_up_a_visitor_gets_the_sign_in_page_and_nothing_else(stored_program):
    at = app(SHARED | PROVIDER)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "people the network gave access to" in everything_shown(at)
    assert PROGRAM not in everything_shown(at)
    assert not at.sidebar.children


def test_several_providers_get_a_button_each(stored_program):
    at = app(SHARED | {"google": PROVIDER, "microsoft-entra": PROVIDER})
    assert [b.label for b in at.button] == [
        "Sign in with Google",
        "Sign in with Microsoft Entra",
    ]


def test_settings_that_are_not_complete_let_nobody_in_and_the_log_says_what_lacks(
    stored_program, caplog
):
    at = app(SHARED | {"client_id": "selfstudy", "server_metadata_url": "https://x.test/"})
    assert not at.exception
    assert not at.button
    assert "Sign-in is not set up completely" in everything_shown(at)
    assert PROGRAM not in everything_shown(at)
    assert "auth.client_secret" in caplog.text


def test_a_signed_in_person_is_named_in_the_sidebar_over_the_app(stored_program):
    at = app(SHARED | PROVIDER, claims(email="ana@example.test", email_verified=True))
    assert not at.exception
    shown = [m.value for m in at.sidebar.markdown]
    assert "Signed in as **ana@example.test**" in shown
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert "Rate your program against" in everything_shown(at)  # the Start page


def test_a_sign_in_that_names_nobody_shows_nothing_of_the_app(stored_program):
    at = app(SHARED | PROVIDER, {"is_logged_in": True, "email": "ana@example.test"})
    assert "did not say who you are" in everything_shown(at)
    assert [b.label for b in at.button] == ["Sign out"]
    assert PROGRAM not in everything_shown(at)


def test_without_sign_in_set_up_the_app_opens_as_before(stored_program):
    at = app(None)
    assert not at.exception
    assert "Signed in as" not in everything_shown(at)
    assert PROGRAM in everything_shown(at)

"""Sign-in with Streamlit's own `st.login` (OpenID Connect), when the app's secrets ask for it.

Without an `[auth]` section in `.streamlit/secrets.toml` the app is the single-team tool
on one machine: nobody signs in, and `signed_in_identity` says so with None. With one,
as Streamlit documents it (`redirect_uri`, `cookie_secret`, and a provider's `client_id`,
`client_secret` and `server_metadata_url`, in `[auth]` itself or in `[auth.<name>]` for
each of several providers), a visitor who has not signed in sees a sign-in page and
nothing else: the script stops before any page, study or database is read.

A secrets file that exists but cannot be read might hold an `[auth]` section, so the app
fails closed: it says that sign-in cannot be set up and shows nothing else.

The claims `st.user` holds come from whoever controls the provider's account (a name,
an email): they are passed on as text, never read as Markdown here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from selfstudy.app import markdown
from selfstudy.core.access import Identity

AUTH = "auth"
SHARED_SETTINGS = ("redirect_uri", "cookie_secret")
PROVIDER_SETTINGS = ("client_id", "client_secret", "server_metadata_url")
# Tables inside [auth] that are settings of the default provider, not named providers.
NOT_PROVIDERS = frozenset({"client_kwargs"})
TITLE = "STEM equity self-study"
WHY = (
    "Each program's self-studies are shown only to the people the network gave access "
    "to: sign in to see yours."
)
_log = logging.getLogger(__name__)


def _secrets_present_but_unreadable() -> bool:
    """Whether a secrets file (or folder of secrets) exists that Streamlit could not load."""
    for place in st.get_option("secrets.files") or ():
        path = Path(place)
        if path.is_file() or (path.is_dir() and any(path.iterdir())):
            return True
    return False


def _auth_settings() -> Mapping[str, object] | None:
    """The `[auth]` table of the app's secrets; None when there is none."""
    if not st.secrets.load_if_toml_exists():
        return None
    section = st.secrets.get(AUTH)
    return section if isinstance(section, Mapping) else None


def signin_configured() -> bool:
    """Whether people must sign in: the secrets have an `[auth]` section, or cannot be read."""
    if st.secrets.load_if_toml_exists():
        return AUTH in st.secrets
    return _secrets_present_but_unreadable()


def providers(auth: Mapping[str, object]) -> list[str | None]:
    """The providers to offer, in the file's order: None for the one set in `[auth]` itself."""
    named = [
        name
        for name, value in auth.items()
        if isinstance(value, Mapping) and name not in NOT_PROVIDERS
    ]
    has_default = any(key in auth for key in PROVIDER_SETTINGS)
    return [None, *named] if has_default or not named else named


def settings_missing(auth: Mapping[str, object]) -> list[str]:
    """The settings `st.login` needs that `[auth]` lacks, each as `auth.<key>`."""
    missing = [f"{AUTH}.{key}" for key in SHARED_SETTINGS if not auth.get(key)]
    for name in providers(auth):
        table = auth if name is None else auth[name]
        where = AUTH if name is None else f"{AUTH}.{name}"
        if name is not None and "_" in name:
            missing.append(f"{where} (a provider's name may not contain _)")
        missing += [f"{where}.{key}" for key in PROVIDER_SETTINGS if not table.get(key)]
    return missing


def provider_label(name: str | None, count: int) -> str:
    """The button's words: "Sign in", or "Sign in with Google" when there are several."""
    if name is None or count == 1:
        return "Sign in"
    return f"Sign in with {name.replace('-', ' ').title()}"


def _claim_text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def identity_from_claims(claims: Mapping[str, object]) -> Identity | None:
    """The person the provider's ID token names; None when it names nobody (no iss or sub).

    An email counts as verified only when the provider says so (`email_verified` true);
    a provider that sends no `email_verified` leaves it unverified.
    """
    issuer, subject = _claim_text(claims.get("iss")), _claim_text(claims.get("sub"))
    if issuer is None or subject is None:
        return None
    verified = claims.get("email_verified")
    return Identity(
        issuer=issuer,
        subject=subject,
        email=_claim_text(claims.get("email")),
        email_verified=verified is True or (isinstance(verified, str) and verified == "true"),
        name=_claim_text(claims.get("name")),
    )


def _sign_in_page(auth: Mapping[str, object] | None) -> None:
    st.title(TITLE)
    st.write(WHY)
    if auth is None:
        _log.error("Sign-in: the secrets cannot be read, or their [auth] is not a table")
        st.error(
            "Sign-in cannot be used right now: its settings cannot be read. Tell whoever "
            "runs the app: the app's log says what to fix."
        )
        return
    if missing := settings_missing(auth):
        _log.error("Sign-in: .streamlit/secrets.toml lacks %s", ", ".join(missing))
        st.error(
            "Sign-in is not set up completely. Tell whoever runs the app: the app's log "
            "says what to fix."
        )
        return
    names = providers(auth)
    for name in names:
        label = markdown.text(provider_label(name, len(names)))
        if st.button(label, key=f"sign-in-{name or ''}", type="primary", icon=":material/login:"):
            st.login(name)


def signed_in_identity() -> Identity | None:
    """Who is signed in; None when sign-in is not configured (the single-team tool).

    When it is and nobody is signed in, this draws the sign-in page and stops the script.
    """
    if not signin_configured():
        return None
    if st.user.get("is_logged_in") is True:
        identity = identity_from_claims(st.user)
        if identity is not None:
            return identity
        _log.warning("Sign-in: the provider's ID token names nobody (no iss or sub)")
        st.title(TITLE)
        st.error("Your account's provider did not say who you are. Sign out and try again.")
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
        st.stop()
    _sign_in_page(_auth_settings())
    st.stop()


def sign_out_control(identity: Identity, access_text: str) -> None:
    """In the sidebar: who is signed in, what they may see (`access_text`), and sign-out."""
    with st.sidebar:
        st.markdown(f"Signed in as **{markdown.text(identity.label)}**")
        if access_text:
            st.caption(markdown.text(access_text))
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()

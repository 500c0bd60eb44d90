"""People and their grants in the storage: the network always keeps an admin."""

from __future__ import annotations

import pytest

from selfstudy.core.access import Identity, Role
from selfstudy.core.problems import ProblemsFound

ISSUER = "https://id.example.org"


def test_the_last_admin_cannot_be_removed_but_one_of_two_can(storage):
    first = storage.sign_in(
        Identity(ISSUER, "1", "ana@example.org", True), frozenset({"ana@example.org"})
    )
    admin = storage.acting_as(first)
    [ana] = [e for e in admin.access() if e.role is Role.ADMIN]
    with pytest.raises(ProblemsFound) as refused:
        admin.remove_access(ana.grant_id)
    assert [p.code for p in refused.value.problems] == ["last-admin"]
    assert [e.email for e in admin.access() if e.role is Role.ADMIN] == ["ana@example.org"]
    admin.invite("ben@example.org", "admin")
    admin.remove_access(ana.grant_id)  # another admin is invited: now it may go
    assert [e.email for e in storage.access() if e.role is Role.ADMIN] == ["ben@example.org"]
    assert admin.access() == []  # Ana is no admin from her next step on

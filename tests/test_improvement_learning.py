"""What the network learned, and what became of a round's priorities: `network_learning`
over stored plans, `learning` and `shared_plans` as each person may see them, and
`followed_since` over two rounds of one program.

Two programs from the bundled samples: A (Bridge to STEM, p01, in the 2025 cohort) with
its baseline and follow-up, and B (Young Engineers, p02, in the 2026 cohort) with its
baseline. Every test runs on SQLite and, when `SELFSTUDY_TEST_POSTGRES_URL` is set, on a
real PostgreSQL server too (the `storage` fixture).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import pytest

from selfstudy.core.access import Actor, Identity, NoAccess
from selfstudy.core.improvement import network_learning
from selfstudy.core.scoring import score
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.storage import Storage
from selfstudy.workflows import improvement
from selfstudy.workflows.reports import previous_among

ISSUER = "https://accounts.example.test"
ADMIN = "ada@network.example"


@dataclass
class Net:
    local: Storage
    a: str  # program ids
    b: str
    a_base: str  # study ids
    a_follow: str
    b_base: str


@pytest.fixture
def net(storage: Storage, sample_set) -> Net:
    by_key = {(s.program.id, s.program.round): s for s in sample_set}
    a_base = storage.create_study(by_key["p01", "baseline"])
    a_follow = storage.create_study(by_key["p01", "follow-up"])
    b_base = storage.create_study(by_key["p02", "baseline"])
    programs = {s.id: s.program_id for s in storage.list_studies()}
    return Net(storage, programs[a_base], programs[b_base], a_base, a_follow, b_base)


def person(net: Net, email: str, role: str = "", **where: str) -> Storage:
    """The database as a signed-in person sees it, given `role` (where given) by an admin."""
    admin = net.local.acting_as(
        net.local.sign_in(Identity(ISSUER, "sub-admin", ADMIN, True, "Ada"), frozenset({ADMIN}))
    )
    if role:
        admin.invite(email, role, **where)
    actor: Actor = net.local.sign_in(Identity(ISSUER, "sub-" + email, email, True, email))
    return net.local.acting_as(actor)


def tried(
    storage: Storage,
    study_id: str,
    standards: list[str],
    idea: dict,
    decisions: list[str | None],
    learned: str = "",
) -> str:
    """A plan of the study's program for `standards`, with one idea and a cycle per decision
    (None: a cycle still open); the plan's id."""
    plan = improvement.plan_from_priority(storage, study_id, standards, {"aim": "More"})
    idea_id = improvement.add_idea(storage, plan, **idea)
    for number, decision in enumerate(decisions, 1):
        fields = {"objective": f"Test {number}"}
        if decision is not None:
            fields |= {"results": "Seen", "learned": learned or f"Cycle {number}"}
            fields["decision"] = decision
        cycle = storage.add_record("cycle", idea_id, fields)
        if decision is not None:
            improvement.close_cycle(storage, cycle, on=date(2026, 2, number))
    return plan


def rubric_idea(rubric, standard_id: str | None = None):
    standard = next(
        s
        for s in rubric.standards()
        if s.change_ideas and (standard_id is None or s.id == standard_id)
    )
    return standard, standard.change_ideas[0]


def test_network_learning_counts_cycles_and_decisions_per_idea_and_standard(net, default_rubric):
    standard, idea = rubric_idea(default_rubric)
    other = next(s for s in default_rubric.standards() if s.id != standard.id)
    tried(
        net.local,
        net.a_base,
        [standard.id, other.id],
        {"rubric_idea": idea.id},
        ["adapt", "adopt", None],
        learned="Shorter visits kept students",
    )
    ideas = {default_rubric.id: {i.id: i.title for i in default_rubric.change_ideas()}}
    learned = network_learning(net.local.plans(), ideas)
    assert {t.standard_id for t in learned.tried} == {standard.id, other.id}
    for standard_id in (standard.id, other.id):  # a plan for two standards counts for each
        (one,) = learned.for_standard(standard_id)
        assert (one.idea, one.rubric_idea, one.program_id) == (idea.title, idea.id, net.a)
        assert (one.cycles, one.closed) == (3, 2)
        assert dict(one.decisions) == {"adopt": 1, "adapt": 1, "abandon": 0}
        assert one.learned == ("Shorter visits kept students",) * 2


def test_a_rubric_idea_is_one_idea_across_programs_and_own_ideas_group_by_title(
    net, default_rubric
):
    standard, idea = rubric_idea(default_rubric)
    tried(net.local, net.a_base, [standard.id], {"rubric_idea": idea.id}, ["adopt"])
    tried(net.local, net.b_base, [standard.id], {"rubric_idea": idea.id}, ["abandon"])
    tried(net.local, net.a_base, [standard.id], {"title": "Family STEM night"}, ["adapt"])
    tried(net.local, net.b_base, [standard.id], {"title": "  family STEM   Night "}, [None])
    groups = improvement.learning(net.local).by_idea()
    assert [(s, len(g)) for s, _, g in groups] == [(standard.id, 2), (standard.id, 2)]
    by_title = {title: group for _, title, group in groups}
    rubric_group = by_title[idea.title]
    assert {t.program_id for t in rubric_group} == {net.a, net.b}
    assert sum(t.decisions["adopt"] for t in rubric_group) == 1
    assert sum(t.decisions["abandon"] for t in rubric_group) == 1
    own = by_title["Family STEM night"]
    assert {t.program_id for t in own} == {net.a, net.b}
    assert [t.closed for t in own] == [1, 0]


def test_a_facilitator_learns_only_from_the_programs_of_their_cohort(net, default_rubric):
    standard, idea = rubric_idea(default_rubric)
    tried(net.local, net.a_base, [standard.id], {"rubric_idea": idea.id}, ["adopt"])
    tried(net.local, net.b_base, [standard.id], {"title": "B's own idea"}, ["abandon"])
    fay = person(net, "fay@network.example", "facilitator", cohort="2025 Network cohort")
    seen = improvement.learning(fay).tried
    assert {t.program_id for t in seen} == {net.a}
    assert [t.idea for t in seen] == [idea.title]
    nobody = person(net, "nora@elsewhere.example")
    assert improvement.learning(nobody).tried == ()
    # B shares what it learned: the facilitator sees it only when asking for shared plans
    net.local.set_sharing(net.b, True)
    assert {t.program_id for t in improvement.learning(fay).tried} == {net.a}
    assert {t.program_id for t in improvement.learning(fay, shared=True).tried} == {
        net.a,
        net.b,
    }


def test_a_program_reads_anothers_plans_only_once_it_shares_and_never_changes_them(
    net, default_rubric
):
    standard, idea = rubric_idea(default_rubric)
    plan = tried(net.local, net.a_base, [standard.id], {"rubric_idea": idea.id}, ["adopt"])
    ben = person(net, "ben@valley.example", "member", program_id=net.b)
    assert ben.shared_plans() == []
    assert improvement.others_tried(ben, net.b, [standard.id]) == {standard.id: []}
    with pytest.raises(NoAccess):
        ben.plan(plan)
    net.local.set_sharing(net.a, True)
    assert net.local.shares_learning(net.a)
    (shared,) = ben.shared_plans()
    assert shared.id == plan and shared.record.program_id == net.a
    (other,) = improvement.others_tried(ben, net.b, [standard.id])[standard.id]
    assert (other.program_id, other.idea) == (net.a, idea.title)
    before = net.local.plan(plan)
    for record in before.records():
        with pytest.raises(NoAccess):
            ben.update_record(record.id, {}, None)
    with pytest.raises(NoAccess):
        ben.update_record(plan, {"aim": "Taken over"}, None)
    with pytest.raises(NoAccess):
        ben.add_record("idea", plan, {"title": "Slipped in"})
    with pytest.raises(NoAccess):
        ben.set_sharing(net.a, False)
    assert net.local.plan(plan) == before
    net.local.set_sharing(net.a, False)
    assert ben.shared_plans() == []


def since_of(net: Net, study_id: str, study, result):
    """What the Results page of `study` shows since its round before, read as the page reads
    it: the studies it compares with, the round before among them, the program's plans."""
    others = [(i, s) for i, s in net.local.all_studies() if i != study_id]
    previous = previous_among(study, [s for _, s in others])
    return improvement.followed_since(study, previous, others, net.local.plans(net.a), result)


def test_the_next_round_follows_each_earlier_priority_with_its_plans_and_level_move(
    net, default_rubric, sample_set
):
    by_key = {(s.program.id, s.program.round): s for s in sample_set}
    baseline, follow_up = by_key["p01", "baseline"], by_key["p01", "follow-up"]
    before, after = score(default_rubric, baseline), score(default_rubric, follow_up)
    planned = next(s for s in before.priorities if default_rubric.standard_by_id[s].change_ideas)
    _, idea = rubric_idea(default_rubric, planned)
    plan = tried(net.local, net.a_base, [planned], {"rubric_idea": idea.id}, ["adopt", "adapt"])
    tried(net.local, net.b_base, [planned], {"title": "B's plan is not A's"}, ["abandon"])

    since = since_of(net, net.a_follow, follow_up, after)
    assert since.earlier.program.round == "baseline"
    assert [f.standard_id for f in since.followed] == before.priorities
    followed = {f.standard_id: f for f in since.followed}
    mine = followed[planned]
    assert [p.id for p in mine.plans] == [plan]
    assert mine.decisions == {"adopt": 1, "adapt": 1, "abandon": 0}
    was = before.standard(planned).score.mean_level
    now = after.standard(planned).score.mean_level
    assert (mine.before, mine.after) == (was, now)
    assert mine.moved == round(now - was, 2)
    assert all(not f.plans for s, f in followed.items() if s != planned)
    # the baseline has no round before it, so its Results have nothing to look back on
    assert (
        previous_among(baseline, [s for i, s in net.local.all_studies() if i != net.a_base]) is None
    )


def test_the_report_of_the_next_round_prints_what_became_of_each_earlier_priority(
    net, default_rubric, sample_set
):
    by_key = {(s.program.id, s.program.round): s for s in sample_set}
    baseline, follow_up = by_key["p01", "baseline"], by_key["p01", "follow-up"]
    before, after = score(default_rubric, baseline), score(default_rubric, follow_up)
    planned = next(s for s in before.priorities if default_rubric.standard_by_id[s].change_ideas)
    _, idea = rubric_idea(default_rubric, planned)
    tried(
        net.local,
        net.a_base,
        [planned],
        {"rubric_idea": idea.id},
        ["adopt"],
        learned="<b>Evenings</b> suit families",
    )
    since = since_of(net, net.a_follow, follow_up, after)
    page = html_report(
        default_rubric, follow_up, after, (baseline, before), since=(since.earlier, since.followed)
    )
    section = page[
        page.index('<section id="since">') : page.index(
            "</section>", page.index('<section id="since">')
        )
    ]
    assert "<h2>Since baseline" in section
    assert section.count("<tr>") == len(before.priorities) + 1  # a row each, and the head
    assert html.escape(idea.title) in section and "adopted" in section
    assert "&lt;b&gt;Evenings&lt;/b&gt; suit families" in section  # typed text stays text
    assert "none made" in section  # the priorities nobody planned for say so
    assert '<section id="since">' not in html_report(default_rubric, follow_up, after)

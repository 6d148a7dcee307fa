"""Exactly once, whatever changes between a kill and its repair.

The sender is killed at every point of a hand-over (after the claim, after the
freeze, after Resend accepted the batch, after the ledger recorded it), then the
campaign changes (an address suppressed, the template edited, the cap lowered,
the campaign paused), then it runs again. Each time the provider's delivered set
(a fake Resend on 127.0.0.1 that deduplicates by Idempotency-Key and answers 409
to a key reused with another payload) is checked against the ledger, the leads'
states and the caps. A property-based variant runs random schedules of kills,
changes and reruns.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.outreach.planning import plan_due_steps
from cam_core.outreach.rendering import render_batch
from cam_core.outreach.senders.resend import ResendSender
from cam_core.outreach.sending import SendReport, send_batch
from cam_core.state import leads as leads_module
from cam_core.state import ledger, pauses, schema
from cam_core.state.leads import save_qualified, save_routing
from cam_core.state.suppression import suppress, suppressed_in
from cam_core.vocabulary import SendStatus
from tests.fakes.resend import FakeResend
from tests.helpers import BY_TEST, DAY, NOW, RESEND_KEY, UNSUBSCRIBE_SECRET

LEADS = 260  # three provider batches (100, 100, 50) under a daily cap of 250
CAP = 250
LOWERED_CAP = 120
KILL_POINTS = ("claimed", "frozen", "accepted", "recorded")
CHANGES = ("none", "suppression", "template", "cap", "pause")


class Killed(BaseException):
    """The process died here: nothing after this line ran, open transactions rolled back."""


@dataclass
class World:
    """One campaign's database and the provider it sends through."""

    engine: Engine
    fake: FakeResend
    raw: dict[str, Any] = field(default_factory=dict)
    killed_batch: str = ""

    def campaign(self) -> Campaign:
        return Campaign.model_validate(self.raw)

    def sender(self) -> ResendSender:
        return ResendSender(RESEND_KEY, api_url=self.fake.url, campaign="demo", sleep=lambda _: None)

    def run(self, sender: Any = None) -> SendReport:
        """What `nurture_batch` and `sent_emails` do for the day: plan, render, send."""
        campaign = self.campaign()
        plan = plan_due_steps(self.engine, campaign, DAY, suppressed_in(self.engine, "demo", UNSUBSCRIBE_SECRET))
        batch = render_batch(plan.due, campaign, secret=UNSUBSCRIBE_SECRET)
        return send_batch(
            self.engine, campaign, DAY, batch, sender or self.sender(), stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET
        )

    def sends(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(schema.sends), conn)

    def frozen_keys(self) -> set[str]:
        """Send keys in a frozen batch or already final: what may still go, whatever changes now."""
        with self.engine.connect() as conn:
            frozen = set(conn.execute(sa.select(schema.send_batches.c.batch_id)).scalars())
        sends = self.sends()
        return set(sends.loc[sends["batch_id"].isin(frozen) | (sends["status"] != SendStatus.PENDING), "send_key"])

    def lead_status(self) -> pd.Series:
        with self.engine.connect() as conn:
            leads = pd.read_sql(sa.select(schema.leads.c.email, schema.leads.c.status), conn)
        return leads.set_index("email")["status"]


def _world(engine: Engine, fake: FakeResend) -> World:
    raw = {**yaml.safe_load(demo_campaign_yaml()), "name": "demo"}
    raw["sender"] = {
        **raw["sender"],
        "provider": "resend",
        "daily_cap": CAP,
        "warmup": None,
        "hourly_cap": None,
        "domain_daily_cap": None,
    }
    emails = [f"lead{i:03d}@client{i % 7}.io" for i in range(LEADS)]
    leads = pd.DataFrame({"email": emails, "qualification": "qualified", "icp_score": 80, "reason": "ok"})
    for column in ("first_name", "last_name", "title", "company", "domain", "industry", "country", "score_breakdown"):
        leads[column] = ""
    leads["first_name"] = [f"Lead{i}" for i in range(LEADS)]
    save_qualified(engine, "demo", DAY, leads, BY_TEST)
    save_routing(engine, "demo", DAY, leads.assign(tier="hot", sequence="fast_track", enrolment="new"), BY_TEST)
    fake.reset()
    return World(engine, fake, raw)


@contextmanager
def killed_at(world: World, point: str, on: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A sender whose run dies at `point` of its `on`-th hand-over."""
    inner = world.sender()
    calls = itertools.count(1)

    class KillingSender:
        provider = inner.provider

        def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[ledger.Outcome]:
            if point == "frozen" and next(calls) == on:
                world.killed_batch = batch_id
                raise Killed
            outcomes = inner.deliver(messages, batch_id)
            if point == "accepted" and next(calls) == on:
                world.killed_batch = batch_id
                raise Killed
            return outcomes

    def hook(name: str) -> None:
        original: Callable[..., Any] = getattr(ledger, name)

        def dying(*args: Any, **kwargs: Any) -> Any:
            batch_id = args[3] if name == "freeze" else args[2]
            if point == "claimed" and next(calls) == on:
                world.killed_batch = batch_id
                raise Killed
            result = original(*args, **kwargs)
            if point == "recorded" and next(calls) == on:
                world.killed_batch = batch_id
                raise Killed
            return result

        monkeypatch.setattr(ledger, name, dying)

    with monkeypatch.context() as patch:
        monkeypatch = patch
        if point == "claimed":
            hook("freeze")
        if point == "recorded":
            hook("complete")
        yield KillingSender()


def change(world: World, kind: str) -> dict[str, Any]:
    """Change the campaign between the kill and the repair; what a check needs to know of it."""
    before = {"frozen": world.frozen_keys(), "delivered": len(world.fake.delivered)}
    if kind == "suppression":
        sends = world.sends()
        pending = sends[sends["status"] == SendStatus.PENDING]
        in_killed = sends.loc[sends["batch_id"] == world.killed_batch, "email"]
        elsewhere = pending.loc[pending["batch_id"] != world.killed_batch, "email"]
        victims = [e for e in (in_killed.min(), elsewhere.min()) if isinstance(e, str)]
        suppress(world.engine, victims, "complaint", "test", NOW, secret=UNSUBSCRIBE_SECRET)
        before["victims"] = victims
    elif kind == "template":
        for variant in world.raw["sequences"]["fast_track"]["steps"][0]["variants"]:
            variant["subject"] = "Edited: " + variant["subject"]
    elif kind == "cap":
        world.raw["sender"]["daily_cap"] = LOWERED_CAP
    elif kind == "pause":
        pauses.pause(world.engine, "demo", "test: complaints", NOW)
    elif kind == "resume":
        pauses.resume(world.engine, "demo", NOW)
    return before


def check_ledger_matches_provider(world: World, caps: list[int]) -> pd.DataFrame:
    """What must hold after any run that was not killed."""
    sends = world.sends()
    recipients = world.fake.recipients()
    assert len(recipients) == len(set(recipients)), "nobody gets a second copy"
    sent = sends[sends["status"] == SendStatus.SENT]
    assert set(sent["message_id"]) == {e["id"] for e in world.fake.delivered}, "the ledger says what was delivered"
    assert (sends["status"] != SendStatus.PENDING).all(), "no row is left pending"
    assert not sends["error"].fillna("").str.contains("409|idempotency key", regex=True).any()
    status = world.lead_status()
    assert (status[sent["email"]] == "contacted").all(), "every lead delivered to is contacted"
    assert len(sends) <= max(caps), "never more claimed than the largest cap in force"
    return sends


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_kill_at_any_point_then_any_change_never_breaks_exactly_once_or_the_cap(
    database: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fake: FakeResend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = 0
    for point, kind in itertools.product(KILL_POINTS, CHANGES):
        if database == "sqlite":
            url = f"sqlite:///{tmp_path / f'case-{cases}.db'}"
        else:
            url = request.getfixturevalue("postgres").new_database()
        engine = schema.engine_for(url)
        world = _world(engine, fake)
        with killed_at(world, point, on=2, monkeypatch=monkeypatch) as sender, pytest.raises(Killed):
            world.run(sender)
        assert world.killed_batch, f"{point}: the run died"

        before = change(world, kind)
        world.run()
        check_ledger_matches_provider(world, [CAP])
        after_repair = world.fake.delivered[before["delivered"] :]
        if kind == "pause":
            # Only what was frozen before the pause went out; nothing new was claimed.
            assert {e["headers"]["X-CAM-Send-Key"] for e in after_repair} <= before["frozen"], point
            change(world, "resume")
            world.run()
        sends = check_ledger_matches_provider(world, [CAP])
        delivered = {e["headers"]["X-CAM-Send-Key"]: e for e in world.fake.delivered}
        committed = len(before["frozen"])  # sent, failed, or frozen when the change came

        if kind == "suppression":
            killed_victim, other_victim = before["victims"]
            emails = set(world.fake.recipients())
            assert other_victim not in emails, f"{point}: suppressed before its batch was frozen"
            killed_key = sends.set_index("email")["send_key"].get(killed_victim)
            # A frozen batch goes as frozen (the provider may have it already); an unfrozen one never went.
            assert (killed_victim in emails) == (point != "claimed" and killed_key in before["frozen"]), point
        if kind == "template":
            for key, email in delivered.items():
                edited = email["subject"].startswith("Edited: ")
                assert edited == (key not in before["frozen"]), f"{point}: {key} went as it was frozen"
        cap = LOWERED_CAP if kind == "cap" else CAP
        eligible = LEADS - sum(e not in set(world.fake.recipients()) for e in before.get("victims", []))
        assert len(delivered) == max(min(eligible, cap), committed), f"{point}/{kind}: the day is finished, in cap"
        engine.dispose()
        cases += 1
    with capsys.disabled():
        print(f"\n[exactly-once] {cases} kill-and-change cases ({len(KILL_POINTS)} points x {len(CHANGES)} changes)")


STEP = st.tuples(
    st.sampled_from((None, *KILL_POINTS)),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(("none", "suppression", "template", "cap", "pause", "resume")),
)
_examples = itertools.count(1)


@pytest.mark.sqlite_only
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(schedule=st.lists(STEP, min_size=1, max_size=4))
def test_random_schedules_of_kills_changes_and_reruns_keep_exactly_once(
    schedule: list[tuple[str | None, int, str]],
    tmp_path: Path,
    fake: FakeResend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = next(_examples)
    engine = schema.engine_for(f"sqlite:///{tmp_path / f'random-{example}.db'}")
    world = _world(engine, fake)
    caps, paused = [CAP], False
    for point, on, kind in schedule:
        committed = len(change(world, kind)["frozen"])
        if kind == "cap":
            caps.append(max(LOWERED_CAP, committed))
        paused = (paused or kind == "pause") and kind != "resume"
        if point is None:
            world.run()
            check_ledger_matches_provider(world, caps)
            continue
        with killed_at(world, point, on=on, monkeypatch=monkeypatch) as sender, contextlib.suppress(Killed):
            world.run(sender)
    change(world, "resume")
    world.run()
    world.run()
    sends = check_ledger_matches_provider(world, caps)
    assert len(sends) <= max(caps[-1], *caps[1:]) if len(caps) > 1 else len(sends) <= CAP
    engine.dispose()
    if example == 25:
        with capsys.disabled():
            print(f"\n[exactly-once] {example} random schedules of kills, changes and reruns")


def test_a_kill_while_leads_are_marked_contacted_leaves_the_batch_to_repair_not_leads_behind(
    engine: Engine, fake: FakeResend, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(engine, fake)
    original = leads_module._move

    def dying(conn: Any, campaign: str, emails: pd.Series, target: Any, cause: str, stamp: Any) -> int:
        if target == "contacted":
            raise Killed  # the ledger already said `sent`: on main the leads stayed `enrolled` for good
        return original(conn, campaign, emails, target, cause, stamp)

    with monkeypatch.context() as patch:
        patch.setattr(leads_module, "_move", dying)
        with pytest.raises(Killed):
            world.run()
    world.run()

    sends = check_ledger_matches_provider(world, [CAP])
    assert (sends["status"] == SendStatus.SENT).sum() == CAP
    assert (world.lead_status() == "contacted").sum() == CAP

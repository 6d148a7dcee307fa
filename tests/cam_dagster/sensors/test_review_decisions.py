"""The review round trip: leads in the review band are queued, a person decides with
`cam review` or a decisions CSV (picked up by the sensor), and the next
materialization of the partition qualifies and enrols the approved ones."""

from __future__ import annotations

from io import StringIO

import dagster as dg
import pandas as pd
import pytest

from cam_core.selection import review
from cam_core.state import schema
from cam_dagster.cli import main
from cam_dagster.partitions import CampaignDay
from cam_dagster.resources.cam import CamResource
from cam_dagster.sensors.review_decisions import review_decisions_sensor
from tests.helpers import DAY, stored

SELECTION = ["harvest", "enriched", "scored", "qualified", "routed"]


@pytest.fixture
def reviewed(demo_home, run_assets, database_url, monkeypatch):
    """The demo partition selected once: some leads wait in review. The CLI shares the database."""
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    run_assets(SELECTION)
    waiting = stored(demo_home, "qualified").query("qualification == 'review'").sort_values("email")
    assert len(waiting) >= 3
    return waiting


def _queue(engine) -> pd.DataFrame:
    return review.listing(engine, "demo", status=None).set_index("email")


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_review_items_are_queued_once_with_their_reason(reviewed, run_assets, engine):
    queue = _queue(engine)
    assert sorted(queue.index) == sorted(reviewed["email"])
    assert (queue["status"] == "pending").all() and (queue["day"] == DAY).all()
    assert queue.loc[reviewed["email"].iloc[0], "reason"] == reviewed["reason"].iloc[0]
    run_assets("qualified")
    assert len(_queue(engine)) == len(reviewed)  # a rerun does not queue twice


def test_approve_and_reject_with_the_command_flow_on_at_the_next_materialization(
    reviewed, demo_home, run_assets, engine, capsys
):
    yes, no, untouched = reviewed["email"].iloc[:3]
    code, out, _ = _cam(capsys, "review", "approve", yes, "--campaign", "demo", "--by", "ana", "--note", "good fit")
    assert code == 0 and "1 lead(s) approved by ana" in out and f"demo|{DAY}" in out
    assert _cam(capsys, "review", "reject", no, "--campaign", "demo", "--by", "ana")[0] == 0
    code, _, err = _cam(capsys, "review", "approve", "nobody@acme.example", "--campaign", "demo")
    assert code == 2 and "not in the review queue of demo: nobody@acme.example" in err

    run_assets(["qualified", "routed"])

    qualified = stored(demo_home, "qualified").set_index("email")
    assert qualified.loc[yes, "qualification"] == "qualified"
    assert qualified.loc[yes, "reason"].startswith("approved in review by ana (score ")
    assert qualified.loc[no, ["qualification"]].tolist() == ["rejected"]
    assert qualified.loc[no, "reason"].startswith("rejected in review by ana")
    assert qualified.loc[untouched, "qualification"] == "review"
    assert yes in set(stored(demo_home, "routed")["email"])
    with engine.connect() as conn:
        enrolled = {r.email for r in conn.execute(schema.enrolments.select())}
    assert yes in enrolled and no not in enrolled

    code, out, _ = _cam(capsys, "review", "list", "--campaign", "demo", "--format", "csv")
    listed = pd.read_csv(StringIO(out))
    assert code == 0 and set(listed["email"]) == set(reviewed["email"]) - {yes, no}
    code, out, _ = _cam(capsys, "leads", "explain", yes, "--campaign", "demo")
    assert code == 0 and "review: approved by ana" in out and "note: good fit" in out
    assert "decision_maker" in out or "rules that fired" in out


def _tick(instance, cam_env, database_url, cursor=None):
    resources = {"cam": CamResource(home=str(cam_env.root), database_url=database_url)}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return review_decisions_sensor(context)


def test_a_decisions_csv_is_applied_once_and_reruns_the_partition(
    reviewed, demo_home, run_assets, engine, instance, database_url
):
    yes, no = reviewed["email"].iloc[:2]
    demo_home.reviews.mkdir(exist_ok=True)
    (demo_home.reviews / "monday.csv").write_text(
        f"campaign,email,decision,reviewer,note\ndemo,{yes.upper()},approve,ben,\ndemo,{no},reject,ben,not now\n",
        encoding="utf-8",
    )

    result = _tick(instance, demo_home, database_url)

    [request] = result.run_requests
    assert CampaignDay.of(request.partition_key) == CampaignDay.of(f"demo|{DAY}")
    assert request.run_key.startswith("review:")
    queue = _queue(engine)
    assert queue.loc[yes, ["status", "decided_by"]].tolist() == ["approved", "ben"]
    assert queue.loc[no, ["status", "note"]].tolist() == ["rejected", "not now"]
    assert isinstance(_tick(instance, demo_home, database_url, result.cursor), dg.SkipReason)  # once per content

    run_assets(["qualified", "routed"])  # what the run request asks for
    qualified = stored(demo_home, "qualified").set_index("email")
    assert qualified.loc[yes, "reason"].startswith("approved in review by ben")
    assert qualified.loc[no, "qualification"] == "rejected"
    assert yes in set(stored(demo_home, "routed")["email"])


def test_a_bad_decisions_csv_applies_nothing_and_names_the_row(reviewed, demo_home, engine, instance, database_url):
    yes, other = reviewed["email"].iloc[:2]
    demo_home.reviews.mkdir(exist_ok=True)
    (demo_home.reviews / "oops.csv").write_text(
        f"campaign,email,decision\ndemo,{yes},approve\ndemo,{other},maybe\n", encoding="utf-8"
    )
    with pytest.raises(review.ReviewError, match=r"oops.csv: row 3: decision 'maybe' must be approve or reject"):
        review.read_decisions_csv("oops.csv", (demo_home.reviews / "oops.csv").read_text(), "x")

    result = _tick(instance, demo_home, database_url)

    assert result.run_requests == []
    assert (_queue(engine)["status"] == "pending").all()


def test_explaining_an_unknown_lead_says_how_to_find_the_right_one(cam_env, capsys):
    from cam_core.campaign.demo import demo_campaign_yaml

    (cam_env.campaigns / "demo.yaml").write_text(demo_campaign_yaml())
    code, _, err = _cam(capsys, "leads", "explain", "nobody@acme.example", "--campaign", "demo")
    assert code == 2 and "nobody@acme.example: no such lead in campaign demo" in err
    assert "cam leads export --campaign demo" in err and "Traceback" not in err

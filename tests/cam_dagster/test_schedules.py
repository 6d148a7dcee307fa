"""The campaign sensor, the hourly outreach schedule and the daily intake schedules,
evaluated against a real test instance."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from cam_core.campaign.demo import DEMO_CAMPAIGN, demo_campaign_yaml
from cam_dagster.definitions import build_definitions
from cam_dagster.partitions import CAMPAIGN_DIMENSION, CampaignDay, partition_key
from cam_dagster.resources.cam import CamResource
from cam_dagster.run_tags import SENDING_DOMAIN_TAG
from cam_dagster.schedules import outreach_schedule
from cam_dagster.sensors.campaign_partitions import campaign_partitions_sensor
from tests.helpers import DAY


def _tick(instance, cam_env):
    with dg.build_sensor_context(instance=instance, resources={"cam": CamResource(home=str(cam_env.root))}) as context:
        return campaign_partitions_sensor(context)


def test_campaign_partitions_follow_the_campaign_files(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml())
    (cam_env.campaigns / "globex.yaml").write_text(demo_campaign_yaml())
    (cam_env.campaigns / "broken.yaml").write_text("icp: [not, a, mapping\n")
    with dg.instance_for_test() as instance:
        result = _tick(instance, cam_env)
        [add] = result.dynamic_partitions_requests
        assert add.partition_keys == ["acme", "globex"]  # the broken file gets no partition
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, add.partition_keys)

        assert isinstance(_tick(instance, cam_env), dg.SkipReason)  # nothing changed, nothing requested

        (cam_env.campaigns / "globex.yaml").unlink()
        [delete] = _tick(instance, cam_env).dynamic_partitions_requests
        assert isinstance(delete, dg.DeleteDynamicPartitionsRequest)
        assert delete.partition_keys == ["globex"]


def _schedule(instance, cam_env, when):
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"cam": CamResource(home=str(cam_env.root))}
    ) as context:
        return outreach_schedule(context)


def test_the_hourly_schedule_asks_for_one_run_per_campaign_for_that_day(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml().replace("northwind-data.example", "acme.example"))
    (cam_env.campaigns / "demo.yaml").write_text(demo_campaign_yaml())
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["acme", "demo", "gone"])
        when = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
        requests = _schedule(instance, cam_env, when)
        partitions = sorted(
            (CampaignDay.of(r.partition_key).campaign, CampaignDay.of(r.partition_key).day) for r in requests
        )
        assert partitions == [("acme", "2026-11-25"), ("demo", "2026-11-25"), ("gone", "2026-11-25")]
        assert len({r.run_key for r in requests}) == 3
        # The queue's one-run-per-sending-domain limit (deploy/dagster.yaml) keys on this tag.
        domains = {CampaignDay.of(r.partition_key).campaign: r.tags.get(SENDING_DOMAIN_TAG) for r in requests}
        assert domains == {"acme": "acme.example", "demo": "northwind-data.example", "gone": None}


def test_the_hourly_schedule_skips_when_there_is_no_campaign(cam_env):
    with dg.instance_for_test() as instance:
        when = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
        assert isinstance(_schedule(instance, cam_env, when), dg.SkipReason)


def _campaign_in(zone: str) -> str:
    return demo_campaign_yaml().replace("timezone: UTC", f"timezone: {zone}")


def _intake(definitions, name, instance, cam_env, when):
    schedule = definitions.resolve_schedule_def(name)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"cam": CamResource(home=str(cam_env.root))}
    ) as context:
        return schedule, schedule(context)


def test_each_campaign_gets_a_daily_intake_schedule_for_its_own_local_day(cam_env):
    (cam_env.campaigns / "kiwi-co.yaml").write_text(_campaign_in("Pacific/Auckland"))
    (cam_env.campaigns / "london.yaml").write_text(_campaign_in("UTC"))
    (cam_env.campaigns / "broken.yaml").write_text("icp: [not, a, mapping\n")
    definitions = build_definitions()  # campaign files are read when the definitions load
    intake = sorted(s.name for s in definitions.schedules or [] if s.name.startswith("intake_"))
    assert intake == ["intake_kiwi_co", "intake_london"]  # the broken file gets none
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["kiwi-co", "london"])
        # 06:00 on 25 November in Auckland is still the 24th in UTC (17:00): its run is for the 25th.
        auckland = dt.datetime(2026, 11, 25, 6, 0, tzinfo=ZoneInfo("Pacific/Auckland"))
        assert auckland.astimezone(dt.UTC).day == 24
        schedule, request = _intake(definitions, "intake_kiwi_co", instance, cam_env, auckland)
        assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "Pacific/Auckland")
        assert request.partition_key == partition_key("kiwi-co", "2026-11-25")
        # London's 06:00 is the same day everywhere west of Auckland.
        london_six = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)
        schedule, london = _intake(definitions, "intake_london", instance, cam_env, london_six)
        assert schedule.execution_timezone == "UTC"
        assert london.partition_key == partition_key("london", "2026-11-24")
        assert len({request.run_key, london.run_key}) == 2
        # Asked again for the same day (a daemon restart), the run key is the same: one run a day.
        _, again = _intake(definitions, "intake_kiwi_co", instance, cam_env, auckland + dt.timedelta(minutes=1))
        assert again.run_key == request.run_key
        # Its description tells a person it sends nothing, before they turn it on.
        assert schedule.description.startswith("Sends nothing.")
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_an_intake_schedule_skips_with_why_when_its_campaign_is_not_ready(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(_campaign_in("Europe/Paris"))
    definitions = build_definitions()
    when = dt.datetime(2026, 11, 25, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with dg.instance_for_test() as instance:
        _, skip = _intake(definitions, "intake_acme", instance, cam_env, when)
        assert isinstance(skip, dg.SkipReason) and "no partition yet" in (skip.skip_message or "")
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["acme"])
        (cam_env.campaigns / "acme.yaml").write_text("icp: [not, a, mapping\n")  # broken since the load
        _, skip = _intake(definitions, "intake_acme", instance, cam_env, when)
        assert isinstance(skip, dg.SkipReason) and "acme.yaml" in (skip.skip_message or "")


def test_the_intake_job_runs_selection_and_sends_nothing(demo_home):
    definitions = build_definitions()
    job = definitions.resolve_job_def("cam_intake")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [DEMO_CAMPAIGN])
        result = job.execute_in_process(instance=instance, partition_key=partition_key(DEMO_CAMPAIGN, DAY))
    assert result.success
    made = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key}
    assert {"harvest", "enriched", "scored", "qualified", "routed"} <= made
    assert not made & {"nurture_batch", "sent_emails", "engagement", "campaign_metrics"}
    outbox = demo_home.outbox
    assert not outbox.exists() or not any(p.is_file() for p in outbox.rglob("*"))  # not one message written


@pytest.mark.xfail(
    strict=True,
    reason="the date partitions end at today in UTC (partitions.py end_offset=1): a zone ahead of UTC "
    "starts its day before that day has a partition; end_offset=2 fixes it (then drop this mark)",
)
def test_a_campaign_ahead_of_utc_gets_its_run_on_the_morning_of_its_day(cam_env):
    (cam_env.campaigns / "kiwi.yaml").write_text(_campaign_in("Pacific/Auckland"))
    definitions = build_definitions()
    # 06:00 tomorrow in Auckland is 17:00 (18:00 in its winter) today in UTC: a day UTC has not reached.
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    six = dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 6, tzinfo=ZoneInfo("Pacific/Auckland"))
    assert six.astimezone(dt.UTC).date() < tomorrow
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["kiwi"])
        _, request = _intake(definitions, "intake_kiwi", instance, cam_env, six)
    assert isinstance(request, dg.RunRequest), request
    assert request.partition_key == partition_key("kiwi", tomorrow.isoformat())

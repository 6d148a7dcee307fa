"""The campaign sensor and the daily schedule, evaluated against a real test instance."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from cam_core.demo import demo_campaign_yaml
from cam_dagster.partitions import CAMPAIGN_DIMENSION, campaign_day
from cam_dagster.resources import CamResource
from cam_dagster.schedules import outreach_schedule
from cam_dagster.sensors import campaign_partitions_sensor


def _tick(instance, cam_env):
    context = dg.build_sensor_context(instance=instance, resources={"cam": CamResource(home=str(cam_env.root))})
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


def test_the_daily_schedule_asks_for_one_run_per_campaign_for_that_day():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["acme", "demo"])
        when = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
        requests = outreach_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        partitions = sorted((campaign_day(r.partition_key).campaign, campaign_day(r.partition_key).day) for r in requests)
        assert partitions == [("acme", "2026-11-25"), ("demo", "2026-11-25")]
        assert len({r.run_key for r in requests}) == 2


def test_the_daily_schedule_skips_when_there_is_no_campaign():
    with dg.instance_for_test() as instance:
        when = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
        result = outreach_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        assert isinstance(result, dg.SkipReason)

"""The campaign sensor and the daily schedule, evaluated against a real test instance."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from cam_core.campaign.demo import demo_campaign_yaml
from cam_dagster.partitions import CAMPAIGN_DIMENSION, CampaignDay
from cam_dagster.resources.cam import CamResource
from cam_dagster.run_tags import SENDING_DOMAIN_TAG
from cam_dagster.schedules import outreach_schedule
from cam_dagster.sensors.campaign_partitions import campaign_partitions_sensor


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

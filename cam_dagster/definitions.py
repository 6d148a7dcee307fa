"""The whole CAM system in one place: `dagster dev -w workspace.yaml` loads this."""

import dagster as dg

from cam_core import settings
from cam_dagster.assets.campaign_metrics import campaign_metrics
from cam_dagster.assets.engagement import engagement
from cam_dagster.assets.enriched import enriched
from cam_dagster.assets.harvest import harvest
from cam_dagster.assets.nurture_batch import nurture_batch
from cam_dagster.assets.qualified import qualified
from cam_dagster.assets.routed import routed
from cam_dagster.assets.scored import scored
from cam_dagster.assets.sent_emails import sent_emails
from cam_dagster.enrichment_resource import enrichment_resource_from_env
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.jobs import cam_pipeline
from cam_dagster.resources import cam_resource_from_env, resend_resource_from_env
from cam_dagster.review_sensor import review_decisions_sensor
from cam_dagster.schedules import outreach_schedule
from cam_dagster.sensors import campaign_partitions_sensor
from cam_dagster.apollo import apollo_search_from_env
from cam_dagster.inbox_sensor import inbox_sensor

ASSETS = [harvest, enriched, scored, qualified, routed, nurture_batch, sent_emails, engagement, campaign_metrics]


def build_definitions() -> dg.Definitions:
    """Definitions bound to the environment's CAM_HOME and database."""
    cam = cam_resource_from_env()
    return dg.Definitions(
        assets=ASSETS,
        jobs=[cam_pipeline],
        schedules=[outreach_schedule],
        sensors=[campaign_partitions_sensor, inbox_sensor, review_decisions_sensor],
        resources={
            "cam": cam,
            "resend": resend_resource_from_env(),
            "enrichment": enrichment_resource_from_env(),
            "io_manager": PartitionedParquetIOManager(base_dir=str(settings.cam_home() / "data")),
            "apollo_search_api": apollo_search_from_env(),
        },
    )


defs = build_definitions()

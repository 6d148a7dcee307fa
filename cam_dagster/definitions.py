"""The whole CAM system in one place: `dagster dev -w workspace.yaml` loads this.

Assets (one module each under `assets/`, grouped by the `cam_core` stage they call),
the SQL tables between them (`tables`), the jobs, the schedules (hourly outreach, and a
daily intake per campaign file found when this module loads), the sensors (one module
each under `sensors/`) and the resources, wired once from the environment.
"""

from pathlib import Path

import dagster as dg

from cam_core.campaign.loading import load_campaigns
from cam_core.settings import HomeLayout, keep_files_private
from cam_dagster.assets.campaign_metrics import campaign_metrics
from cam_dagster.assets.engagement import engagement
from cam_dagster.assets.enriched import enriched
from cam_dagster.assets.harvest import harvest
from cam_dagster.assets.nurture_batch import nurture_batch
from cam_dagster.assets.qualified import qualified
from cam_dagster.assets.routed import routed
from cam_dagster.assets.scored import scored
from cam_dagster.assets.sent_emails import sent_emails
from cam_dagster.jobs import cam_intake, cam_pipeline
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.env import resources_from_env
from cam_dagster.schedules import intake_schedules, outreach_schedule
from cam_dagster.sensors.campaign_partitions import campaign_partitions_sensor
from cam_dagster.sensors.inbox import inbox_sensor
from cam_dagster.sensors.replies_imap import replies_imap_sensor
from cam_dagster.sensors.review_decisions import review_decisions_sensor
from cam_dagster.sensors.run_failures import run_failure_alerts
from cam_dagster.tables import TABLES

# Runs the daemon or `dagster` starts load this module, not `cam`: what they write into the CAM
# home (partitions, landed files, the outbox) is personal data, for the owner's eyes only.
keep_files_private()

#: The nine assets, in the order leads flow through them.
ASSETS = [harvest, enriched, scored, qualified, routed, nurture_batch, sent_emails, engagement, campaign_metrics]


def build_definitions() -> dg.Definitions:
    """Definitions bound to the environment's CAM_HOME, database and provider keys, with one
    intake schedule per campaign file that loads now (a file that does not gets none)."""
    resources = resources_from_env()
    cam = resources["cam"]
    assert isinstance(cam, CamResource)
    # Read, not `cam.campaigns()`: loading the definitions should not create the home's folders.
    campaigns = load_campaigns(HomeLayout(Path(cam.home)).campaigns).campaigns.values()
    return dg.Definitions(
        assets=[*ASSETS, *TABLES],
        jobs=[cam_pipeline, cam_intake],
        schedules=[outreach_schedule, *intake_schedules(campaigns)],
        sensors=[
            campaign_partitions_sensor,
            inbox_sensor,
            review_decisions_sensor,
            replies_imap_sensor,
            run_failure_alerts,
        ],
        resources=resources,
        # One process per run, not per step: a step's work is seconds of pandas, while a fresh
        # process per step re-imports Dagster and CAM (about 4 s each, nine steps plus checks).
        executor=dg.in_process_executor,
    )


defs = build_definitions()

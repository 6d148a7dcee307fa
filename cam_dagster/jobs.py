"""The jobs: the whole graph (`cam_pipeline`, which sends) and intake and selection alone
(`cam_intake`, which never sends)."""

import dagster as dg

CAM_PIPELINE = "cam_pipeline"
CAM_INTAKE = "cam_intake"

#: What `cam_intake` runs: harvest through routed. Leaving out nurture_batch and sent_emails
#: (and what follows them) is what makes it unable to send.
INTAKE_ASSETS = ("harvest", "enriched", "scored", "qualified", "routed")

cam_pipeline = dg.define_asset_job(
    CAM_PIPELINE,
    selection=dg.AssetSelection.all(),
    description="Harvest through campaign_metrics for one campaign and day.",
)

cam_intake = dg.define_asset_job(
    CAM_INTAKE,
    selection=dg.AssetSelection.assets(*INTAKE_ASSETS),
    description=(
        "Intake and selection for one campaign and day, harvest through routed: lands and enriches the day's "
        "leads, scores, qualifies (filling the review queue) and enrols them. Plans and sends nothing "
        "(nurture_batch and sent_emails are not in it). Each campaign's daily intake_<campaign> schedule is "
        "made when the code location loads: a campaign file added later gets its schedule once the code "
        "location is reloaded (Deployment > Reload, or restart `make dev`)."
    ),
)

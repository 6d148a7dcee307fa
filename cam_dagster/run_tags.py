"""Tags on the runs CAM requests, which the queued run coordinator limits by.

`deploy/dagster.yaml` allows one run at a time per `cam/sending_domain` (campaigns
sending from one domain share its reputation and domain cap) and, through the tag
Dagster itself puts on a partition's runs, one per `dagster/partition/campaign`.
"""

from __future__ import annotations

from cam_core.campaign.loading import CampaignError, campaign_by_name
from cam_dagster.resources.cam import CamResource

SENDING_DOMAIN_TAG = "cam/sending_domain"
CAMPAIGN_PARTITION_TAG = "dagster/partition/campaign"


def sending_tags(cam: CamResource, campaign: str) -> dict[str, str]:
    """The campaign's sending-domain tag; none for a campaign whose file does not load
    (its run fails at once with the file's error, so it holds no domain's slot)."""
    try:
        domain = campaign_by_name(cam.layout.campaigns, campaign).sender.domain
    except CampaignError:
        return {}
    return {SENDING_DOMAIN_TAG: domain}

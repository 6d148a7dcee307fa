"""Who answers for each part of the graph; the Dagster UI shows and filters assets by owner.
Teams, not people, so the names survive a reorganisation: rename them to your own."""

#: harvest, enriched, scored, qualified, routed and the SQL tables.
DATA_TEAM = "team:data-engineering"
#: nurture_batch, sent_emails, engagement and campaign_metrics: what reaches recipients.
GROWTH_TEAM = "team:growth-ops"

"""Selection: how enriched leads become the `scored`, `qualified` and `routed` assets.

Rule matching shared by scoring and routing (`matching`), ICP fit and opportunity
scores with a breakdown a person can read (`scoring`), the verdict and its reason
(`qualification`), the review queue for the band in between (`review`, the only
writer of `review_queue`), tiers and sequences (`routing`) and exclusivity across
campaigns (`exclusivity`). The campaign is the one source of every cut-off.

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

"""Engagement: how what the world tells CAM (replies, bounces, complaints,
unsubscribes, stored in the `events` table) becomes lead state, in the
`engagement` asset (`events.fold_events`).

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

"""Engagement: how what the world tells CAM becomes lead state.

- `service`: `cam serve`, the HTTP service for one-click unsubscribes, Resend's
  webhooks (inbound mail included) and health probes;
- `resend_events`: Resend's webhook events as CAM event rows;
- `receiving`: storing events once and acting on them at once (suppression, the
  lead's lifecycle), whether they came over HTTP or from a file;
- `replies`: replies taken in once from any source, matched to the send they
  answer, classified (`classification`, rules in `cam_core/data/reply_rules.yaml`)
  and acted on; `imap` and `resend_inbound` are two of its sources;
- `events`: folding a day's events per lead, for the `engagement` asset.

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

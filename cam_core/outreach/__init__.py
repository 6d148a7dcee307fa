"""Outreach: how enrolled leads become the `nurture_batch` and `sent_emails` assets.

Planning the steps due on a day within its room (`planning`), rendering them in
the campaign's sandboxed templates with a signed unsubscribe link (`rendering`,
`unsubscribe`), the blocking checks a batch must pass (`checks`), sending windows
in each recipient's time zone (`window`), and sending exactly once under every cap
(`sending`) through one of the interchangeable `senders`, paused by the reputation
guard (`reputation`) when recent bounces or complaints run too high.

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

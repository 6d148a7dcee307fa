"""Reporting: what people read about a campaign. The day's funnel against the
campaign's targets (`metrics`, the `campaign_metrics` asset), why a lead stands
where it does (`explain`), a lead's next message as it would go out (`preview`), each
campaign's standing for `cam status` (`status`), the spreadsheet-safe lead export
(`export`), and the alert a failed run posts (`alerts`).

The read side of the whole pipeline: may import the shared layer, `cam_core.campaign`,
`cam_core.state` and the public functions of any stage (preview renders exactly as
`nurture_batch` would), never their private names.
"""

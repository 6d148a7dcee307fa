"""Campaigns: what a campaign file may say (`models`), loading and reporting bad files
within limits (`loading`), the sandboxed templates its emails are written in and their
lint (`templates`), what a template may cost in time and memory (`limits`), the first day
any campaign has work, where the date partitions begin (`first_day`), and the demo campaign
with its sample export (`demo`).

Every stage reads a `Campaign`; this package imports only the shared layer
(`cam_core.vocabulary`, `cam_core.columns`), never a stage.
"""

"""Campaigns: what a campaign file may say (`models`), loading and reporting bad files
(`loading`), the sandboxed templates its emails are written in and their lint
(`templates`), and the demo campaign with its sample export (`demo`).

Every stage reads a `Campaign`; this package imports only the shared layer
(`cam_core.vocabulary`, `cam_core.columns`), never a stage.
"""

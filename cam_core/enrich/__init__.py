"""Enrichment and verification: how harvested leads become the `enriched` asset.

The paid waterfall (`waterfall`) asks the `providers` in the campaign's order, within
a credit budget, and keeps every answer in the `enrichment_cache` table (`cache`, its
only writer) so nobody is paid for twice. Offline verification (`verification`:
syntax, role accounts, free mail, disposable and competitor domains) and MX lookups
(`mx`, honest about not knowing) follow.

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

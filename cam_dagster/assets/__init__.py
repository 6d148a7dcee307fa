"""One module per asset; the module and the asset share a name, and the asset's group
is the `cam_core` stage it calls (intake, enrich, selection, outreach, engagement, reporting)."""

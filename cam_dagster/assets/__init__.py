"""One module per asset; the module and the asset share a name, and the asset's group
is the `cam_core` stage it calls (intake, enrich, selection, outreach, engagement, reporting).

Each module's `CODE_VERSION` is the asset's revision, bumped by hand when what it stores for a
partition changes (a column, a rule, a count), and only then: the UI then says "code version
changed" for partitions made before, which is worth a rerun. The package version would change
for every release whether or not this asset's output did, and a hash of the source for every
comment; neither would tell anyone which partitions are out of date.
"""

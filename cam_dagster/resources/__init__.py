"""Resources: thin wrappers that hand `cam_core` its state and clients.

`CamResource` (home, database, campaigns, clock; nests `ResendResource`),
`ApolloResource` (People Search in `harvest`; nested in `EnrichmentResource` for
people match) and `EnrichmentResource`. `env.resources_from_env` wires them all
once from the environment, secrets as `dg.EnvVar`s: the `Definitions` and the
`cam` command use the same wiring.
"""

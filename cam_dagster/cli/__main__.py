"""`python -m cam_dagster.cli`: the `cam` command."""

from cam_dagster.cli import main

raise SystemExit(main())

"""`python -m cam_dagster.cli`: the `cam` command."""

from cam_dagster.entry import main

raise SystemExit(main())

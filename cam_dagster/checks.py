"""Invariants as blocking asset checks: declared on the asset that must hold them, judged by
`cam_core`, reported here. A failed check stops the assets after it in the run.

Each check is partitioned like its asset, so an evaluation is recorded against the campaign and
day it judged: the check's page in the UI lists results by partition, and a failure on one
campaign's day is not read as the state of every other.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping

import dagster as dg

from cam_core.checks import CheckOutcome
from cam_dagster.partitions import cam_partitions


def blocking_checks(asset: str, descriptions: Mapping[str, str]) -> list[dg.AssetCheckSpec]:
    """One blocking check per name, described in words, partitioned as every CAM asset is."""
    with warnings.catch_warnings():
        # Dagster 1.13 calls partitioned checks a preview; CAM relies on them (tests prove blocking
        # and the partition on each result), and the warning at every load would only alarm people.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return [
            dg.AssetCheckSpec(name, asset=asset, blocking=True, description=text, partitions_def=cam_partitions)
            for name, text in descriptions.items()
        ]


def check_results(outcomes: list[CheckOutcome]) -> Iterator[dg.AssetCheckResult]:
    """Each outcome as a check result; Dagster records it against the run's partition."""
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            check_name=outcome.name,
            passed=outcome.passed,
            metadata={**outcome.numbers, "examples": dg.MetadataValue.json(outcome.offenders)},
        )

"""Invariants as blocking asset checks: declared on the asset that must hold them, judged by
`cam_core`, reported here. A failed check stops the assets after it in the run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import dagster as dg

from cam_core.checks import CheckOutcome


def blocking_checks(asset: str, descriptions: Mapping[str, str]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(name, asset=asset, blocking=True, description=text) for name, text in descriptions.items()
    ]


def check_results(outcomes: list[CheckOutcome]) -> Iterator[dg.AssetCheckResult]:
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            check_name=outcome.name,
            passed=outcome.passed,
            metadata={**outcome.numbers, "examples": dg.MetadataValue.json(outcome.offenders)},
        )

"""harvest -> nurture_batch in one process, calling cam_core as the assets do, each stage timed.

Each stage does what its asset does, including writing its output as Parquet (the
IO manager's work) and its database writes; Dagster's own bookkeeping is left out.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pandas as pd

from cam_core import db, store
from cam_core.campaigns import Campaign
from cam_core.intake import harvest
from cam_core.known_leads import known_before
from cam_core.nurture import plan_due_steps
from cam_core.qualification import qualify
from cam_core.rendering import render_batch
from cam_core.routing import route
from cam_core.scoring import score
from cam_core.unsubscribe import OUTBOX_SECRET
from cam_core.verification import verify

STAGES = ("harvest", "enriched", "scored", "qualified", "routed", "nurture_batch")


def run(files: list[Path], campaign: Campaign, day: str, database_url: str, out_dir: Path) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds per stage and row counts."""
    engine = db.engine_for(database_url)
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    peaks: dict[str, int] = {}  # the process's peak RSS (MB) once each stage is done

    def stage(name: str, frame_fn):
        start = time.perf_counter()
        frame = frame_fn()
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        seconds[name] = time.perf_counter() - start
        counts[name] = len(frame)
        peaks[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return frame

    def _harvest() -> pd.DataFrame:
        result = harvest(files, campaign.intake.columns, known_before(engine, campaign.name, day))
        counts["rows_read"] = result.rows_read
        counts["harvest_rejected"] = len(result.rejects)
        with engine.begin() as conn:
            db.replace_partition(conn, db.harvest_rejects, campaign.name, day,
                                 result.rejects.assign(campaign=campaign.name, day=day))
        return result.leads

    def _qualified(scored: pd.DataFrame) -> pd.DataFrame:
        result = qualify(scored, campaign.qualification, store.suppressed(engine))
        store.save_qualified(engine, campaign.name, day, result)
        return result

    def _routed(qualified: pd.DataFrame) -> pd.DataFrame:
        result = route(qualified, campaign, store.enrolled_before(engine, campaign.name, day))
        store.save_routing(engine, campaign.name, day, result)
        return result

    def _nurture() -> pd.DataFrame:
        plan = plan_due_steps(engine, campaign, day, store.suppressed(engine))
        return render_batch(plan.due, campaign, secret=OUTBOX_SECRET)

    harvested = stage("harvest", _harvest)
    enriched = stage("enriched", lambda: verify(harvested))
    del harvested
    scored = stage("scored", lambda: score(enriched, campaign.icp)[0])
    del enriched
    qualified = stage("qualified", lambda: _qualified(scored))
    del scored
    stage("routed", lambda: _routed(qualified))
    del qualified
    stage("nurture_batch", _nurture)
    counts["peak_rss_mb_by_stage"] = peaks
    return seconds, counts

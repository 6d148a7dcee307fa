"""harvest -> nurture_batch in one process, calling cam_core as the assets do, each stage timed.

Each stage does what its asset does, including writing its output as Parquet (the
IO manager's work) and its database writes; Dagster's own bookkeeping is left out.
"""

from __future__ import annotations

import datetime as dt
import resource
import secrets
import time
from functools import partial
from pathlib import Path

import pandas as pd

from cam_core.campaign.models import Campaign
from cam_core.enrich.verification import verify
from cam_core.intake.harvest import harvest
from cam_core.outreach.planning import plan_due_steps
from cam_core.outreach.rendering import render_batch
from cam_core.selection.qualification import qualify
from cam_core.selection.routing import route
from cam_core.selection.scoring import score
from cam_core.state import schema
from cam_core.state.history import Stamp
from cam_core.state.leads import close_enrolments, enrolled_before, known_leads, save_qualified, save_routing
from cam_core.state.rejects import save_rejects
from cam_core.state.suppression import suppressed, suppressed_in

#: A fresh key per bench run: the links it renders go nowhere.
SECRET = secrets.token_hex(32)
STAGES = ("harvest", "enriched", "scored", "qualified", "routed", "nurture_batch")


def run(
    files: list[Path], campaign: Campaign, day: str, database_url: str, out_dir: Path
) -> tuple[dict[str, float], dict[str, int | dict[str, int]]]:
    """Seconds per stage and row counts (with the peak RSS after each stage, by stage)."""
    engine = schema.engine_for(database_url)
    seconds: dict[str, float] = {}
    counts: dict[str, int | dict[str, int]] = {}
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
        result = harvest(files, campaign.intake.columns, partial(known_leads, engine, campaign.name, day))
        counts["rows_read"] = result.rows_read
        counts["harvest_rejected"] = len(result.rejects)
        save_rejects(engine, campaign.name, day, result.rejects)
        return result.leads

    def _scored(enriched: pd.DataFrame) -> pd.DataFrame:
        return score(enriched, campaign.icp)[0]

    def _qualified(scored: pd.DataFrame) -> pd.DataFrame:
        result = qualify(scored, campaign.qualification, suppressed(engine, scored["email"], SECRET))
        save_qualified(engine, campaign.name, day, result, Stamp("bench", dt.datetime.now(dt.UTC)))
        return result

    def _routed(qualified: pd.DataFrame) -> pd.DataFrame:
        result = route(
            qualified,
            campaign,
            enrolled_before(
                engine, campaign.name, day, qualified.loc[qualified["qualification"] == "qualified", "email"].tolist()
            ),
        )
        save_routing(engine, campaign.name, day, result, Stamp("bench", dt.datetime.now(dt.UTC)))
        return result

    def _nurture() -> pd.DataFrame:
        plan = plan_due_steps(engine, campaign, day, suppressed_in(engine, campaign.name, SECRET))
        close_enrolments(engine, campaign.name, plan.finished, day)
        return render_batch(plan.due, campaign, secret=SECRET)

    # Each stage's input is dropped once the next has it, so the peak holds at most two tables.
    frame = stage("harvest", _harvest)
    frame = stage("enriched", partial(verify, frame))
    frame = stage("scored", partial(_scored, frame))
    frame = stage("qualified", partial(_qualified, frame))
    frame = stage("routed", partial(_routed, frame))
    del frame
    stage("nurture_batch", _nurture)
    counts["peak_rss_mb_by_stage"] = peaks
    return seconds, counts

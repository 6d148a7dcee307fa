"""Review decisions dropped as CSV files into `$CAM_HOME/reviews/`, applied and rerun."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from cam_core.selection import review
from cam_dagster.partitions import partition_key
from cam_dagster.resources.cam import CamResource

REMEMBERED = 1000  # content hashes kept in the cursor; run keys dedupe beyond that anyway
DESCRIPTION = (
    "Every 30 s: applies each new review decisions CSV in $CAM_HOME/reviews/ (campaign, email, decision "
    "approve|reject, optional reviewer and note) once, then reruns qualified and routed for each partition "
    "that queued a decided lead, so approved leads are enrolled. Sends nothing itself."
)


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=dg.AssetSelection.assets("qualified", "routed"),
    description=DESCRIPTION,
)
def review_decisions_sensor(context: dg.SensorEvaluationContext, cam: CamResource) -> dg.SensorResult | dg.SkipReason:
    """Applies each new decisions CSV in `$CAM_HOME/reviews/` (columns campaign, email,
    decision approve|reject, optional reviewer and note) to the review queue, then asks
    for `qualified` and `routed` of each partition that queued a decided lead, so
    approved leads are enrolled. A file is applied once per content (its hash is the
    run key and is kept in the cursor); a file with a bad row is not applied at all and
    the log names the row and field to fix."""
    folder = cam.layout.reviews
    folder.mkdir(parents=True, exist_ok=True)
    seen: list[str] = json.loads(context.cursor) if context.cursor else []
    requests: list[dg.RunRequest] = []
    new_seen = list(seen)
    for path in sorted(folder.glob("*.csv")):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest in seen:
            continue
        new_seen.append(digest)
        try:
            rows = review.read_decisions_csv(
                path.name, content.decode("utf-8", errors="replace"), default_reviewer=f"csv:{path.name}"
            )
        except review.ReviewError as exc:
            context.log.error("Review decisions not applied: %s", exc)
            continue
        decided = review.decide(cam.engine, rows, now=cam.now())
        for campaign, email in decided.unknown:
            context.log.warning("%s: %s is not in the review queue of %s; skipped", path.name, email, campaign)
        context.log.info("%s: %d decision(s) applied", path.name, len(decided.applied))
        requests += [
            dg.RunRequest(
                run_key=f"review:{digest[:16]}:{campaign}|{day}",
                partition_key=partition_key(campaign, day),
                tags={"cam/review_file": path.name},
            )
            for campaign, day in decided.partitions
        ]
    if new_seen == seen:
        return dg.SkipReason(f"no new decisions file in {folder}")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(new_seen[-REMEMBERED:]))

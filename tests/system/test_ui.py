"""The Dagster UI as the dashboard, in a real browser: with `dagster-webserver` and
`dagster-daemon` running as `make dev` runs them, `cam demo`'s run and what it made are what a
person sees on the Overview timeline, the job's Partitions page, the asset pages, the funnel
plots and the Automation page.

Each page is saved as a full-page screenshot: into the test's tmp_path (the path is printed), or,
with CAM_UPDATE_SCREENSHOTS=1, over the ones the README shows in docs/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cam_core import settings
from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_dagster.sensors import campaign_partitions
from tests.helpers import ASSET_KEYS, today
from tests.system.dagster_servers import dagster_servers, graphql

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Chromium for the UI test (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError  # noqa: E402  (only once Chromium is known to be there)
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright  # noqa: E402

#: The first thing on a page: the webserver answers GraphQL slowly while the daemon also loads the code.
PAGE_MS = 60_000
#: What a loaded page goes on to show.
CONTENT_MS = 30_000
VIEWPORT = ViewportSize(width=1400, height=900)
#: The "Join the Dagster community" dialog covers every page of a fresh instance on localhost;
#: this is what its Skip button stores.
SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
SCREENSHOTS_VARIABLE = "CAM_UPDATE_SCREENSHOTS"
LOCATION = "/locations/cam_dagster.definitions"


class Steps:
    """Every check runs even when one before it failed, so one run of this (slow) test tells
    which of the things a person should see are there; the test fails at the end, naming each
    check that did not hold."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed: list[str] = []

    @contextmanager
    def check(self, name: str) -> Iterator[None]:
        try:
            yield
        except (AssertionError, PlaywrightError) as exc:
            self.failed.append(f"{name}: {str(exc).strip().splitlines()[0]}")
        else:
            self.passed.append(name)


@pytest.fixture
def person_env(cam_env) -> dict[str, str]:
    """The environment of a person's shell on the test's CAM home and instance. The suite pins the
    first partition day for its fixed test days; here it comes from the campaigns, as in `make dev`."""
    return {name: value for name, value in os.environ.items() if name != "CAM_FIRST_DAY"}


@pytest.fixture
def ui(person_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """The webserver's URL, the daemon running beside it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    with dagster_servers(logs, person_env) as base:
        yield base


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    if os.environ.get(SCREENSHOTS_VARIABLE) == "1":
        folder = settings.project_root() / "docs" / "screenshots"
    else:
        folder = tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def browser() -> Iterator[Page]:
    """A page in headless system Chromium (Playwright never downloads a browser here)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            context = chromium.new_context(viewport=VIEWPORT)
            context.add_init_script(SKIP_COMMUNITY_DIALOG)
            context.set_default_timeout(CONTENT_MS)
            yield context.new_page()
        finally:
            chromium.close()


@contextmanager
def screenshot(page: Page, path: Path) -> Iterator[None]:
    """The page as it was at the end of a check, whether the check held or not."""
    try:
        yield
    finally:
        page.screenshot(path=path, full_page=True, animations="disabled")


def succeeded_run(base: str, partition: str) -> str:
    """The id of the job's successful run for `partition`, once the instance has one."""
    query = (
        '{ runsOrError(filter: {pipelineName: "cam_pipeline", tags: [{key: "dagster/partition", '
        f'value: "{partition}"}}]}}) {{ ... on Runs {{ results {{ runId status }} }} }} }}'
    )
    deadline = time.monotonic() + 60
    runs: list[dict[str, str]] = []
    while time.monotonic() < deadline:
        runs = graphql(base, query)["runsOrError"]["results"]
        done = [run["runId"] for run in runs if run["status"] == "SUCCESS"]
        if done:
            return done[0]
        time.sleep(0.5)
    raise AssertionError(f"no successful cam_pipeline run for {partition} within 60 s; runs: {runs}")


def cam_demo(env: dict[str, str]) -> None:
    """`cam demo` in a process of its own, as a person runs it next to `make dev`: this one has
    imported the definitions (conftest does) before the test's CAM_HOME was set."""
    cam = Path(sys.executable).with_name("cam")
    done = subprocess.run(
        [str(cam), "demo"], env=env, cwd=settings.project_root(), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"cam demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def test_the_dagster_ui_shows_the_demo_run_its_partition_its_funnel_and_the_automations(
    ui: str, person_env: dict[str, str], screenshots: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cam_demo(person_env)
    day = today()
    partition = f"{DEMO_CAMPAIGN}|{day}"
    run_id = succeeded_run(ui, partition)
    steps = Steps()

    with browser() as page:
        with (
            steps.check("1. the Overview timeline shows the demo run of cam_pipeline"),
            screenshot(page, screenshots / "overview-timeline.png"),
        ):
            page.goto(ui + "/overview/activity/timeline")
            job = page.locator('a[href$="/jobs/cam_pipeline"]')
            expect(job, "no cam_pipeline row on the timeline").to_be_visible(timeout=PAGE_MS)
            # The row's run blocks open a list of their runs, each a link to the run's page.
            row = page.locator("div").filter(has=job).filter(has=page.locator('[aria-haspopup="menu"]')).last
            row.locator('[aria-haspopup="menu"]').last.click()
            expect(page.locator(f'a[href*="/runs/{run_id}"]'), f"run {run_id} not on the timeline").to_be_visible()

        with (
            steps.check(f"2. the job's Partitions page shows {partition} succeeded"),
            screenshot(page, screenshots / "job-partitions.png"),
        ):
            page.goto(ui + LOCATION + "/jobs/cam_pipeline/partitions")
            page.get_by_role("button", name="Show per-asset status").click(timeout=PAGE_MS)
            # The day's column in the per-asset grid: one square per asset, green when it is materialized.
            # Not the "Missing partitions" count: with more than one day, Dagster 1.13 counts every
            # partition of a job with several multi-partitioned assets as missing.
            square = page.locator('[class*="RunMatrixUtils_square"]')
            column = page.locator("div").filter(has=page.get_by_text(day, exact=True)).filter(has=square).last
            expect(column.locator(square), f"no column for {day} in the per-asset grid").to_have_count(len(ASSET_KEYS))
            succeeded = column.locator('[class*="RunMatrixUtils_success"]')
            expect(succeeded, f"not every asset is green for {day}").to_have_count(len(ASSET_KEYS))

        with (
            steps.check("3. harvest's Partitions tab shows the demo partition filled, in a short date range"),
            screenshot(page, screenshots / "harvest-partitions.png"),
        ):
            page.goto(ui + "/assets/harvest?view=partitions")
            expect(page.get_by_text("Materialized (1)", exact=True)).to_be_visible(timeout=PAGE_MS)
            missing = page.get_by_text(re.compile(r"^Missing \(\d+\)$"))
            expect(missing).to_be_visible()
            count = int(re.sub(r"\D", "", missing.inner_text()))
            assert count < 31, f"harvest shows {count} missing partitions: the days start long before the demo"

        with (
            steps.check("4. campaign_metrics plots its funnel in order, with the targets"),
            screenshot(page, screenshots / "campaign-metrics-plots.png"),
        ):
            page.goto(ui + "/assets/campaign_metrics?view=overview")
            expect(page.get_by_text(partition, exact=True).first, "latest materialization").to_be_visible(
                timeout=PAGE_MS
            )
            page.get_by_role("button", name="Plots").click()
            # The plots, not the description above them (which names the same keys).
            metadata = (
                page.locator("div")
                .filter(has=page.get_by_text("Metadata", exact=True))
                .filter(has=page.get_by_role("button", name="Plots"))
                .filter(has_not=page.get_by_text("Description", exact=True))
                .first
            )
            for plot in (re.compile(r"^funnel_01_rows_read$"), re.compile(r"^funnel_\d\d_\w+_target$")):
                expect(metadata.get_by_text(plot).first, f"no plot titled {plot.pattern}").to_be_visible()
            expect(metadata.locator("canvas").first, "no chart drawn").to_be_visible()
            # The picture for the README: the first stages, beside the targets.
            page.get_by_text("Metadata", exact=True).evaluate("title => title.scrollIntoView({block: 'start'})")

        with (
            steps.check("5. the Automation page explains the schedule and the sensors"),
            screenshot(page, screenshots / "automation.png"),
        ):
            page.goto(ui + "/automation")
            described = {
                "campaign_partitions_sensor": campaign_partitions.DESCRIPTION[:60],
                "outreach_schedule": "SENDS EMAIL",
            }
            for name, words in described.items():
                title = page.get_by_text(name, exact=True)
                expect(title, f"{name} not listed").to_be_visible(timeout=PAGE_MS)
                # The description is the tooltip of the (i) beside the name.
                title.locator("xpath=..").get_by_role("img", name="info").hover()
                expect(page.get_by_text(words).first, f"{name}'s description").to_be_visible()
                page.mouse.move(0, 0)
            # The warning is what the screenshot shows.
            page.get_by_text("outreach_schedule", exact=True).locator("xpath=..").get_by_role(
                "img", name="info"
            ).hover()
            expect(page.get_by_text("SENDS EMAIL").first).to_be_visible()

    with capsys.disabled():
        print(f"\n[ui] screenshots in {screenshots}")
        for name in steps.passed:
            print(f"[ui] ok    {name}")
        for failure in steps.failed:
            print(f"[ui] FAIL  {failure}")
    assert not steps.failed, "what a person sees in the UI:\n" + "\n".join(steps.failed)

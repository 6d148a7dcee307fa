"""`cam resume --campaign C`: lift the reputation guard's pause, so the campaign sends again.

Only a person lifts a pause. From then on the guard counts only the campaign's sends
after the resume, so the bounces that paused it do not pause it again.
"""

from __future__ import annotations

import argparse

from cam_core.state.pauses import resume
from cam_dagster.cli.common import cam, campaign_name, load_campaign
from cam_dagster.cli.guide import add_command


def register(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "resume",
        help="lift a campaign's reputation pause once the cause is fixed",
        description="Lift the pause the reputation guard put on a campaign's sending (see `cam status`); "
        "from then on the guard counts only sends after the resume.",
        examples=["cam resume --campaign acme-2026"],
    )
    command.add_argument("--campaign", required=True, type=campaign_name, help="the paused campaign's name")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    campaign = load_campaign(args.campaign).name  # a misspelt name is an error, not a silent no-op
    with cam() as resource:
        lifted = resume(resource.engine, campaign, resource.now())
    if lifted is None:
        print(f"{campaign} is not paused: nothing to resume")
        return
    print(f"resumed {campaign}: its sending was paused since {lifted.paused_at:%Y-%m-%d %H:%M} UTC ({lifted.reason})")
    print("The guard now counts only sends from here on; the next run sends again.")

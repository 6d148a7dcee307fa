"""`cam` guides: help with examples, its version, "did you mean" for a mistyped command, choice or
campaign, a warning for a lead file without an email column, progress on standard error."""

from __future__ import annotations

import argparse
import io
from importlib.metadata import version

import dagster as dg
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_dagster.cli import errors, main, parser
from cam_dagster.cli.progress import Progress
from tests.helpers import DAY


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own exits: --help, --version, usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _error_line(err: str) -> str:
    [line] = [line for line in err.splitlines() if line.startswith("cam: error:")]
    return line


@pytest.fixture
def acme(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")
    return cam_env


def _commands(command: argparse.ArgumentParser, path: str = "cam"):
    """Every parser under `command`, with how it is typed."""
    yield path, command
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{path} {name}")


def test_every_command_and_subcommand_has_a_description_argument_help_and_an_example():
    found = list(_commands(parser()))
    assert {"cam status", "cam leads export", "cam review approve", "cam replies reclassify"} <= {p for p, _ in found}
    for path, command in found:
        assert command.description, f"{path}: no description"
        assert "Example" in (command.epilog or ""), f"{path}: no example"
        assert "Example" in command.format_help(), f"{path}: the example is not shown"
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{path} {choice.dest}: no one-line help"
            else:
                assert action.help and action.help != argparse.SUPPRESS, f"{path} {action.dest}: no help"


def test_version_names_cam_and_dagster(capsys):
    code, out, _ = _cam(capsys, "--version")
    assert code == 0
    assert out.strip() == f"cam {version('cam')} (dagster {dg.__version__})"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["stauts"], "cam: error: unknown command 'stauts'; did you mean 'status'?"),
        (["leads", "exprot"], "cam: error: unknown command 'leads exprot'; did you mean 'leads export'?"),
        (["review", "aprove"], "cam: error: unknown command 'review aprove'; did you mean 'review approve'?"),
    ],
)
def test_a_mistyped_command_is_answered_with_the_closest(capsys, argv, said):
    code, out, err = _cam(capsys, *argv)
    assert code == errors.USAGE and out == ""
    assert _error_line(err) == said


def test_a_command_like_no_other_lists_them_all(capsys):
    code, _, err = _cam(capsys, "xyzzy")
    assert code == errors.USAGE
    line = _error_line(err)
    assert line.startswith("cam: error: unknown command 'xyzzy'; the commands are demo, ingest, run, status,")
    assert "did you mean" not in line


def test_a_mistyped_status_is_refused_with_the_lifecycle_states(acme, capsys):
    # Before: an empty CSV and exit 0, as if no lead were qualified.
    code, out, err = _cam(capsys, "leads", "export", "--campaign", "acme", "--status", "qualifed")
    assert code == errors.USAGE and out == ""
    line = _error_line(err)
    assert "'qualifed' is not one of harvested, needs_email, qualified, review, rejected," in line
    assert line.endswith("did you mean 'qualified'?")

    code, out, err = _cam(capsys, "leads", "mark", "ada@acme.example", "convertd", "--campaign", "acme")
    assert code == errors.USAGE and out == ""
    assert _error_line(err).endswith("did you mean 'converted'?")


def test_an_export_by_a_status_no_lead_has_says_where_the_leads_are(acme, capsys, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Email,First Name,Company\nada@acme.example,Ada,Acme\n", encoding="utf-8")
    assert _cam(capsys, "ingest", str(path), "--campaign", "acme", "--date", DAY)[0] == 0
    code, out, err = _cam(capsys, "run", "--campaign", "acme", "--date", DAY)
    assert code == 0, err

    code, out, err = _cam(capsys, "leads", "export", "--campaign", "acme", "--status", "complained")

    assert code == 0 and out.splitlines()[0].startswith("email,status")  # the header, no row
    assert "cam: warning: no lead of acme is complained now (its leads: 1 " in err


@pytest.mark.parametrize("command", [["run"], ["leads", "export"], ["preview", "--email", "a@b.example"]])
def test_an_unknown_campaign_lists_the_existing_ones(acme, capsys, command):
    (acme.campaigns / "globex.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")
    code, out, err = _cam(capsys, *command, "--campaign", "acmee")
    assert code == errors.USAGE and out == ""
    assert _error_line(err) == (
        f"cam: error: no campaign 'acmee' in {acme.campaigns}; existing: acme, globex; did you mean 'acme'?"
    )

    code, _, err = _cam(capsys, *command, "--campaign", "zzz")
    assert _error_line(err) == f"cam: error: no campaign 'zzz' in {acme.campaigns}; existing: acme, globex"


def test_with_no_campaign_at_all_it_says_how_to_make_one(cam_env, capsys):
    code, _, err = _cam(capsys, "run", "--campaign", "acme")
    assert code == errors.USAGE
    assert "there is none yet: write" in _error_line(err) and "cam demo" in _error_line(err)


def test_a_file_without_an_email_column_lands_with_a_warning_naming_its_columns(acme, capsys, tmp_path):
    path = tmp_path / "salon.csv"
    path.write_text("Courriel,First Name,Last Name,Company\nada@acme.example,Ada,Lovelace,Acme\n", encoding="utf-8")

    code, out, err = _cam(capsys, "ingest", str(path), "--campaign", "acme", "--date", DAY)

    assert code == 0 and out.startswith("Landed:")
    [warning] = err.splitlines()
    assert warning.startswith("cam: warning: salon.csv: no column is recognised as the email")
    assert "Courriel, First Name, Last Name, Company" in warning  # the columns it saw
    assert "email address" in warning and "intake.columns" in warning  # the names looked for, and the fix
    assert len(list(acme.landed_dir("acme", DAY).iterdir())) == 1


def test_a_file_with_an_email_column_lands_without_a_word_on_stderr(acme, capsys, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text("E-Mail,First Name\nada@acme.example,Ada\n", encoding="utf-8")
    code, _, err = _cam(capsys, "ingest", str(path), "--campaign", "acme", "--date", DAY)
    assert code == 0 and err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_on_a_terminal_and_only_sums_up_elsewhere():
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress("exporting leads", every=100, stream=stream)
        for _ in range(5):
            progress.add(60)
        progress.done("300 lead(s) written")

    assert terminal.getvalue().splitlines()[:3] == [
        "cam: exporting leads: 120 rows so far",
        "cam: exporting leads: 240 rows so far",
        "cam: exporting leads: 300 rows so far",
    ]
    assert terminal.getvalue().splitlines()[3].startswith("cam: 300 lead(s) written in ")
    [summary] = log.getvalue().splitlines()
    assert summary.startswith("cam: 300 lead(s) written in ")


def test_a_large_ingest_and_an_export_report_on_stderr_never_in_the_data(acme, capsys, tmp_path):
    path = tmp_path / "big.csv"
    rows = 100_000
    path.write_text("Email,First Name\n" + "".join(f"p{i}@acme.example,Ann\n" for i in range(rows)), encoding="utf-8")

    code, out, err = _cam(capsys, "ingest", str(path), "--campaign", "acme", "--date", DAY)

    assert code == 0 and out.startswith("Landed:") and "cam:" not in out
    # Not a terminal: no count while it runs, one summary once done.
    [summary] = err.splitlines()
    assert summary.startswith(f"cam: checked and landed {rows:,} rows of big.csv in ")

    code, out, err = _cam(capsys, "leads", "export", "--campaign", "acme")
    assert code == 0 and out.startswith("email,") and "cam:" not in out
    assert err.startswith("cam: 0 lead(s) of acme written to standard output in ")

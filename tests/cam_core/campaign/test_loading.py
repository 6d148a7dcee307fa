"""Campaign files: what a user sees when a campaign YAML is right, and when it is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.loading import CampaignError, campaign_by_name, load_campaign, load_campaigns
from cam_core.campaign.models import Campaign


@pytest.fixture
def campaigns_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    return folder


@pytest.fixture
def demo_file(campaigns_dir: Path) -> Path:
    path = campaigns_dir / "demo.yaml"
    path.write_text(demo_campaign_yaml(), encoding="utf-8")
    return path


def _write_changed(path: Path, change: Callable[[dict], None]) -> Path:
    """The demo campaign with one change a user might make, written to `path`."""
    raw = yaml.safe_load(demo_campaign_yaml())
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _error_for(path: Path) -> CampaignError:
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    return caught.value


# --- a valid file -------------------------------------------------------------------------------


def test_demo_campaign_loads_with_its_settings(demo_file: Path) -> None:
    campaign = load_campaign(demo_file)

    assert isinstance(campaign, Campaign)
    assert campaign.name == "demo"  # the name comes from the file's stem
    assert campaign.sender.daily_cap == 250
    assert (campaign.tiers.hot, campaign.tiers.warm, campaign.tiers.cool) == (85, 70, 55)
    assert campaign.qualification.qualify_at == 55 and campaign.qualification.review_at == 35
    assert campaign.routing == {"hot": "fast_track", "warm": "fast_track", "cool": "standard", "cold": "standard"}
    assert [r.name for r in campaign.icp.rules] == [
        "decision_maker",
        "target_industry",
        "company_size",
        "target_country",
        "senior",
    ]
    assert campaign.icp.rules[2].between == (50.0, 2000.0)


def test_campaign_by_name_finds_a_yml_file_too(campaigns_dir: Path) -> None:
    (campaigns_dir / "demo.yml").write_text(demo_campaign_yaml(), encoding="utf-8")
    assert campaign_by_name(campaigns_dir, "demo").name == "demo"


def test_campaign_by_name_for_a_missing_campaign_names_it(campaigns_dir: Path) -> None:
    with pytest.raises(CampaignError, match="no campaign file for 'acme'"):
        campaign_by_name(campaigns_dir, "acme")


# --- bad files: the message names the file, the field and what is expected ----------------------


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        pytest.param(
            lambda r: r["sender"].update(daily_cap="lots"),
            "sender.daily_cap",
            "valid integer",
            id="daily_cap-not-a-number",
        ),
        pytest.param(
            lambda r: r["sender"].update(daily_cap=0), "sender.daily_cap", "greater than 0", id="daily_cap-zero"
        ),
        pytest.param(
            lambda r: r["sender"].update(daily_cpa=100), "sender.daily_cpa", "unknown field", id="unknown-key"
        ),
        pytest.param(
            lambda r: r["sender"].pop("postal_address"),
            "sender.postal_address",
            "required field is missing",
            id="missing-postal-address",
        ),
        pytest.param(lambda r: r.pop("tiers"), "tiers", "required field is missing", id="missing-tiers"),
        pytest.param(
            lambda r: r["tiers"].update(hot=60, warm=70), "tiers", "hot >= warm >= cool", id="tiers-out-of-order"
        ),
        pytest.param(
            lambda r: r["qualification"].update(review_at=80),
            "qualification",
            "review_at must be <= qualify_at",
            id="review-above-qualify",
        ),
        pytest.param(
            lambda r: r["routing"].update(cold="slow_burn"),
            "routing",
            "cold -> 'slow_burn'",
            id="routing-to-undefined-sequence",
        ),
        pytest.param(lambda r: r["routing"].pop("cold"), "routing", "missing: cold", id="routing-missing-tier"),
        pytest.param(
            lambda r: r["sender"].update(unsubscribe_url="http://insecure.example/u"),
            "sender.unsubscribe_url",
            "https://",
            id="unsubscribe-not-https",
        ),
        pytest.param(
            lambda r: r["icp"]["rules"][0].update(between=[1, 5]),
            "icp.rules.0",
            "exactly one of 'any_of'",
            id="rule-with-two-matchers",
        ),
        pytest.param(
            lambda r: r["icp"]["rules"][1].update(field="salary"),
            "icp.rules.1.field",
            "'title'",
            id="rule-on-unknown-column",
        ),
        pytest.param(lambda r: r.update(timezone="Europe/Atlantis"), "timezone", "IANA name", id="unknown-time-zone"),
    ],
)
def test_a_bad_field_is_reported_with_file_field_and_expectation(
    campaigns_dir: Path, change: Callable[[dict], None], field: str, expected: str
) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", change)

    error = _error_for(path)

    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert error.path == path
    # The problem line starts with the field path, so a user knows where to look.
    assert any(p.startswith(f"{field}: ") for p in error.problems), error.problems
    assert expected in message, message


def test_daily_cap_lots_shows_what_was_given(campaigns_dir: Path) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r["sender"].update(daily_cap="lots"))
    assert _error_for(path).problems == [
        "sender.daily_cap: Input should be a valid integer, unable to parse string as an integer (got 'lots')"
    ]


def test_routing_error_names_the_defined_sequences_not_the_whole_campaign(campaigns_dir: Path) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r["routing"].update(hot="fast-track"))

    (problem,) = _error_for(path).problems

    assert problem.startswith("routing: ")
    assert "hot -> 'fast-track'" in problem
    assert "defined: fast_track, standard" in problem
    assert "description" not in problem  # not a dump of the whole file


def test_every_problem_in_a_file_is_reported_at_once(campaigns_dir: Path) -> None:
    def two_mistakes(raw: dict) -> None:
        raw["sequnces"] = raw.pop("sequences")  # a typo: unknown key *and* a missing one
        raw["sender"]["daily_cap"] = -5

    problems = _error_for(_write_changed(campaigns_dir / "demo.yaml", two_mistakes)).problems

    assert "sequnces: unknown field (check the spelling)" in problems
    assert "sequences: required field is missing" in problems
    assert any(p.startswith("sender.daily_cap: ") for p in problems)


def test_broken_yaml_syntax_names_file_and_line(campaigns_dir: Path) -> None:
    text = demo_campaign_yaml().replace("  hot: 85", "  hot: [85")
    path = campaigns_dir / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  hot: [85") + 1

    error = _error_for(path)

    assert str(error).startswith(f"{path}: ")
    assert "not valid YAML" in str(error)
    # The reported line is where the parser noticed: the broken line or just after it.
    reported = int(str(error).split("line ", 1)[1].split(",", 1)[0])
    assert line <= reported <= line + 2


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "a plain sentence\n"])
def test_a_file_that_is_not_a_mapping_is_refused(campaigns_dir: Path, text: str) -> None:
    path = campaigns_dir / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    assert "expected a mapping of campaign fields" in str(_error_for(path))


def test_a_file_in_a_foreign_encoding_is_an_error_not_a_traceback(campaigns_dir: Path) -> None:
    path = campaigns_dir / "demo.yaml"
    path.write_bytes(demo_campaign_yaml().replace("Demo - data", "Démo - data").encode("cp1252"))
    assert "cannot read the file" in str(_error_for(path))


# --- names ------------------------------------------------------------------------------------


def test_a_name_different_from_the_file_stem_is_refused(campaigns_dir: Path) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r.update(name="acme"))

    error = _error_for(path)

    assert error.problems == ["name: 'acme' must match the file name 'demo'"]


def test_a_name_equal_to_the_stem_is_accepted(campaigns_dir: Path) -> None:
    path = _write_changed(campaigns_dir / "acme-2026.yaml", lambda r: r.update(name="acme-2026"))
    assert load_campaign(path).name == "acme-2026"


@pytest.mark.parametrize("stem", ["Acme", "acme|eu", "acme,eu", "acme eu"])
def test_a_file_name_the_dagster_ui_cannot_show_is_refused(campaigns_dir: Path, stem: str) -> None:
    path = campaigns_dir / f"{stem}.yaml"
    path.write_text(demo_campaign_yaml(), encoding="utf-8")
    error = _error_for(path)
    assert any(p.startswith("name: ") and "lower-case letters" in p for p in error.problems), error.problems


# --- a folder of campaigns ----------------------------------------------------------------------


def test_one_bad_file_does_not_stop_the_others(campaigns_dir: Path, demo_file: Path) -> None:
    broken = _write_changed(campaigns_dir / "broken.yaml", lambda r: r["sender"].update(daily_cap="lots"))
    (campaigns_dir / "notes.txt").write_text("not a campaign", encoding="utf-8")

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    assert found.campaigns["demo"].sender.daily_cap == 250
    assert list(found.errors) == ["broken"]
    error = found.errors["broken"]
    assert error.path == broken
    assert "sender.daily_cap" in str(error) and str(broken) in str(error)


def test_a_misnamed_file_in_a_folder_is_reported_not_loaded(campaigns_dir: Path, demo_file: Path) -> None:
    _write_changed(campaigns_dir / "copy.yaml", lambda r: r.update(name="demo"))

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    assert found.campaigns["demo"] == load_campaign(demo_file)
    assert "must match the file name 'copy'" in str(found.errors["copy"])


def test_an_empty_folder_has_no_campaigns_and_no_errors(campaigns_dir: Path) -> None:
    found = load_campaigns(campaigns_dir)
    assert found.campaigns == {} and found.errors == {}


# --- files that would take the loader down: refused with their reason, the others still load ------


def _nested_flow_mapping(levels: int) -> str:
    """`{a: {a: ... 1 ...}}`, `levels` deep, as one line of flow-style YAML."""
    return "{a: " * levels + "1" + "}" * levels


def _billion_laughs(levels: int = 9) -> str:
    """Nine aliases of nine aliases of ...: a few hundred bytes that expand to 9**levels nodes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_deeply_nested_file_is_refused_with_its_depth_and_the_others_still_load(
    campaigns_dir: Path, demo_file: Path
) -> None:
    deep = campaigns_dir / "deep.yaml"
    deep.write_text("description: " + _nested_flow_mapping(100_000) + "\n", encoding="utf-8")

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    error = found.errors["deep"]
    assert error.path == deep
    assert "nested deeper than 20 levels" in str(error), error
    assert str(error).startswith(f"{deep}: line 1, column ")


def test_a_nesting_depth_a_campaign_needs_is_fine(campaigns_dir: Path) -> None:
    text = demo_campaign_yaml().replace("description:", "x_notes: " + _nested_flow_mapping(15) + "\ndescription:", 1)
    path = campaigns_dir / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    # Loaded far enough to be judged by the models (an unknown key), not refused for its depth.
    assert _error_for(path).problems == ["x_notes: unknown field (check the spelling)"]


def test_a_billion_laughs_file_is_refused_for_its_aliases_and_the_others_still_load(
    campaigns_dir: Path, demo_file: Path
) -> None:
    laughs = campaigns_dir / "laughs.yaml"
    laughs.write_text(_billion_laughs() + demo_campaign_yaml().replace("description:", "x_lol: *l8\ndescription:", 1))

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    message = str(found.errors["laughs"])
    assert message.startswith(f"{laughs}: ")
    assert "aliases expand to more than 100000 values" in message, message


def test_a_few_aliases_are_fine(campaigns_dir: Path) -> None:
    text = demo_campaign_yaml().replace("tiers:", "tiers: &tiers", 1) + "x_copy: *tiers\n"
    path = campaigns_dir / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    assert _error_for(path).problems == ["x_copy: unknown field (check the spelling)"]


def test_a_file_over_the_size_limit_is_refused_without_being_parsed(campaigns_dir: Path, demo_file: Path) -> None:
    big = campaigns_dir / "big.yaml"
    big.write_text(demo_campaign_yaml() + "# padding\n" * 120_000, encoding="utf-8")

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    assert "larger than 1 MiB" in str(found.errors["big"])


def test_any_failure_while_loading_one_campaign_marks_only_that_one_invalid(
    campaigns_dir: Path, demo_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_changed(campaigns_dir / "other.yaml", lambda r: r.update(name="other"))
    validate = Campaign.model_validate

    def fails_for_other(raw: dict) -> Campaign:
        if raw["name"] == "other":
            raise MemoryError()
        return validate(raw)

    monkeypatch.setattr(Campaign, "model_validate", fails_for_other)

    found = load_campaigns(campaigns_dir)

    assert list(found.campaigns) == ["demo"]
    assert "could not be loaded (MemoryError" in str(found.errors["other"])
    with pytest.raises(CampaignError, match="could not be loaded"):
        campaign_by_name(campaigns_dir, "other")


# --- header values: no line break can smuggle a header in -----------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("from_email", "hello@northwind-data.example\r\nBcc: everyone@victim.example"),
        ("from_email", "hello@northwind-data.example\nBcc: everyone@victim.example"),
        ("reply_to", "replies@northwind-data.example\r\nX-Injected: 1"),
        ("unsubscribe_url", "https://northwind-data.example/u\r\nX-Injected: 1"),
        ("from_email", "Northwind\x00 <hello@northwind-data.example>"),
    ],
)
def test_a_sender_field_with_a_line_break_or_control_character_is_refused_at_load(
    campaigns_dir: Path, field: str, value: str
) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r["sender"].update({field: value}))

    problems = _error_for(path).problems

    assert any(p.startswith(f"sender.{field}: ") and "line break or control character" in p for p in problems), problems


def test_a_postal_address_may_span_lines_since_it_only_goes_in_the_body(campaigns_dir: Path) -> None:
    address = "Northwind Data Ltd\n12 Example Street\nLondon EC1A 1AA"
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r["sender"].update(postal_address=address))
    assert load_campaign(path).sender.postal_address == address


def test_a_postal_address_with_another_control_character_is_refused(campaigns_dir: Path) -> None:
    path = _write_changed(campaigns_dir / "demo.yaml", lambda r: r["sender"].update(postal_address="12 Street\x1b[2J"))
    assert any(p.startswith("sender.postal_address: ") for p in _error_for(path).problems)


@pytest.mark.parametrize("name", ["../x", "../../etc/passwd", "demo/..", "Demo", "a b", "", "demo\n"])
def test_a_campaign_name_that_is_not_one_is_refused_before_any_path_is_made(campaigns_dir: Path, name: str) -> None:
    (campaigns_dir.parent / "x.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")  # what `../x` would find
    with pytest.raises(CampaignError, match="is not a campaign name; names use lower-case letters"):
        campaign_by_name(campaigns_dir, name)

"""Template lint and rendering within limits: a template that asks for more time or memory
than an email needs is refused when its campaign loads, promptly, with the reason."""

from __future__ import annotations

import pytest

from cam_core.campaign.limits import MAX_TEXT, TemplateLimit
from cam_core.campaign.templates import environment, render_limited, template_problems


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9**(9**(9**9)) }}",  # Jinja would fold this constant while compiling, then never finish
        "{{ 9**9**9**9**9 }}",
        "{% set n = 9**999999 %}ok",
        "{{ (10**1000) * (10**1000) * (10**1000) * (10**1000) * (10**1000) }}",
    ],
)
def test_a_huge_power_is_refused_as_too_large(template: str) -> None:
    [problem] = template_problems(template)
    assert problem.startswith("template cannot render: "), problem
    assert "too large" in problem


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ first_name * 10**9 }}",
        "{{ [first_name] * 10**9 }}",
        "{% set a = 'x' * 100000 %}{{ a + a + a }}",
        "{{ 'ab'.replace('', 'x' * 100000) }}",
        "{{ ('x' * 1000)|center(10**9) }}",
        "{{ 'x'.zfill(10**9) }}",
        "{{ range(100000)|join('x' * 1000) }}",
        "{{ ('\\n' * 1000)|indent(100000) }}",
        "{{ '%1000000000s' % first_name }}",
        "{{ '{:>1000000000}'.format(first_name) }}",
        "{% set a = 'x' * 100000 %}{{ a ~ a ~ a }}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ d('x', 64) }}",
    ],
)
def test_a_template_building_a_huge_value_is_refused_as_too_large(template: str) -> None:
    [problem] = template_problems(template)
    assert problem.startswith("template cannot render: "), problem
    assert "too large" in problem or "longer than" in problem


def test_a_template_whose_output_is_too_long_is_refused() -> None:
    [problem] = template_problems("{% for i in range(3000) %}{{ 'x' * 100 }}{% endfor %}")
    assert f"longer than {MAX_TEXT} characters" in problem


def test_a_template_that_would_loop_for_ever_is_refused_for_its_time() -> None:
    [problem] = template_problems("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
    assert "took longer than" in problem, problem


def test_templates_cannot_change_values_they_are_given() -> None:
    # Growing a list in place would get round the size checks: templates are immutable.
    [problem] = template_problems("{% set l = [1] %}{% for i in range(20) %}{{ l.extend(l) }}{% endfor %}")
    assert "unsafe" in problem


@pytest.mark.parametrize(
    "template",
    [
        "Hi {{ first_name or 'there' }}, {{ company|upper }} {{ '%-10s|' % title }} {{ (2 ** 10) * 3 }}",
        "{% for w in company.split() %}{{ w|center(20) }}{% endfor %} {{ [1, 2] + [3] }} {{ 'ab' * 40 }}",
        "{{ '{:>12}'.format(first_name) }} {{ range(5)|join(', ') }} {{ 'a\\nb'|indent(4) }} {{ 'x'.zfill(6) }}",
        "{% set ns = namespace(n=0) %}{% for c in 'abc' %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
    ],
)
def test_ordinary_templates_still_pass(template: str) -> None:
    assert template_problems(template) == []


def test_rendering_a_leads_data_is_held_to_the_same_limits() -> None:
    # Fine for the lint's one-letter sample, too large for a lead whose name is long.
    template = environment().from_string("{{ first_name * 100000 }}")
    assert template_problems("{{ first_name * 100000 }}") == []
    with pytest.raises(TemplateLimit, match="too large"):
        render_limited(template, {"first_name": "Bartholomew"})


def test_time_the_machine_spends_elsewhere_does_not_count_against_a_render():
    # A loaded machine (or a garbage collection's callbacks) can stall a render for longer than
    # its limit without the template doing any work: only the template's own computing counts.
    import time

    def stall() -> str:
        time.sleep(1.2)
        return ""

    template = environment().from_string("{{ first_name }}{{ stall() }}")
    assert render_limited(template, {"first_name": "Ada", "stall": stall}, seconds=1) == "Ada"

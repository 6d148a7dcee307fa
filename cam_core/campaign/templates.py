"""The sandboxed Jinja2 environments campaign templates run in, and their lint.

Templates see the lead's fields (TEMPLATE_FIELDS) and `campaign`. Subjects and
plain-text bodies render without escaping; HTML bodies are autoescaped, so a
company called "<script>" arrives as text. A missing value renders as "" and a
template chooses its own fallback: `{{ first_name or "there" }}`. A name that is
not a field, a syntax error, a reach outside the sandbox or a template asking for
more time or memory than an email needs (`limits`) is caught when the campaign
loads (`template_problems`), not at send time; rendering a lead's own data is held
to the same limits (`render_limited`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, meta

from cam_core.campaign.limits import MAX_TEXT, LimitedEnvironment, TemplateLimit, time_limit

TEMPLATE_FIELDS = ("first_name", "last_name", "title", "company", "domain", "industry", "country", "tier")
TEMPLATE_NAMES = frozenset((*TEMPLATE_FIELDS, "campaign"))
#: Seconds the lint's sample render may take; a real template takes milliseconds.
LINT_SECONDS = 2.0
#: Seconds one template may take for one lead.
RENDER_SECONDS = 1.0


@cache
def environment(html: bool = False) -> LimitedEnvironment:
    # The sandbox stops attribute walks to __class__, __globals__ and the like;
    # StrictUndefined turns a misspelt name into an error instead of "".
    return LimitedEnvironment(undefined=StrictUndefined, autoescape=html, keep_trailing_newline=False)


def render_limited(template: Template, context: dict[str, Any], seconds: float = RENDER_SECONDS) -> str:
    """`template` rendered with `context`, or `TemplateLimit` once it takes longer than
    `seconds` or its text grows past MAX_TEXT characters (checked as it is produced)."""
    parts: list[str] = []
    length = 0
    with time_limit(seconds):
        for part in template.generate(context):
            length += len(part)
            if length > MAX_TEXT:
                raise TemplateLimit(f"the rendered text is longer than {MAX_TEXT} characters")
            parts.append(part)
    return "".join(parts)


def template_problems(source: str, html: bool = False) -> list[str]:
    """What is wrong with one template, in words; empty when it is fine."""
    env = environment(html)
    try:
        parsed = env.parse(source)
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        line = f" on line {lineno}" if lineno else ""
        return [f"template syntax error{line}: {exc.message}"]
    except Exception as exc:  # a number too long to read, nesting too deep for the parser
        return [f"template cannot be read: {type(exc).__name__}: {exc}"]
    unknown = sorted(meta.find_undeclared_variables(parsed) - TEMPLATE_NAMES)
    if unknown:
        return [f"unknown field(s) {', '.join(unknown)}; templates can use {', '.join(sorted(TEMPLATE_NAMES))}"]
    sample = dict.fromkeys(TEMPLATE_NAMES, "x")
    try:
        render_limited(env.from_string(source), sample, seconds=LINT_SECONDS)
    except Exception as exc:  # a sandbox refusal (SecurityError), a limit, or a template that cannot run
        return [f"template cannot render: {type(exc).__name__}: {exc}"]
    return []

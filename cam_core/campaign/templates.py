"""The sandboxed Jinja2 environments campaign templates run in, and their lint.

Templates see the lead's fields (TEMPLATE_FIELDS) and `campaign`. Subjects and
plain-text bodies render without escaping; HTML bodies are autoescaped, so a
company called "<script>" arrives as text. A missing value renders as "" and a
template chooses its own fallback: `{{ first_name or "there" }}`. A name that is
not a field, a syntax error or a reach outside the sandbox is caught when the
campaign loads (`template_problems`), not at send time.
"""

from __future__ import annotations

from functools import cache

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_FIELDS = ("first_name", "last_name", "title", "company", "domain", "industry", "country", "tier")
TEMPLATE_NAMES = frozenset((*TEMPLATE_FIELDS, "campaign"))


@cache
def environment(html: bool = False) -> SandboxedEnvironment:
    # The sandbox stops attribute walks to __class__, __globals__ and the like;
    # StrictUndefined turns a misspelt name into an error instead of "".
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=html, keep_trailing_newline=False)


def template_problems(source: str, html: bool = False) -> list[str]:
    """What is wrong with one template, in words; empty when it is fine."""
    env = environment(html)
    try:
        parsed = env.parse(source)
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        line = f" on line {lineno}" if lineno else ""
        return [f"template syntax error{line}: {exc.message}"]
    unknown = sorted(meta.find_undeclared_variables(parsed) - TEMPLATE_NAMES)
    if unknown:
        return [f"unknown field(s) {', '.join(unknown)}; templates can use {', '.join(sorted(TEMPLATE_NAMES))}"]
    sample = dict.fromkeys(TEMPLATE_NAMES, "x")
    try:
        env.from_string(source).render(sample)
    except Exception as exc:  # a sandbox refusal (SecurityError) or a template that cannot run
        return [f"template cannot render: {type(exc).__name__}: {exc}"]
    return []

"""Reading a reply: what it says (`ReplyClass`), with a reason a person can read.

The rules are data (`cam_core/data/reply_rules.yaml`): phrasings per class and
language, automatic-reply headers, quote headers, signatures, month and weekday
names. A team adds phrasings with a file of the same shape (`load_rules(extra=...)`).

What is read: `reply_text`, the new words only. The text/plain body (or, when there
is none, the HTML one converted to text, with `<blockquote>` and Gmail's
`gmail_quote` content dropped), then `>`-quoted lines, quote headers and what they
introduce ("On ... wrote:", "-----Original Message-----", Outlook's "From: / Sent:"
block, and their German, French, Spanish and Dutch forms) and the signature (from a
"-- " line or a sign-off like "Sent from my iPhone") removed. A quote header followed
by `>` lines is a bottom-posted reply: only the header and the `>` lines go, the
answer below them stays.

Precedence, first match wins:

1. Delivery status notification (`multipart/report; report-type=delivery-status`, or
   any `message/delivery-status` part). A recipient with `Action: failed` or a 5.x.x
   status is a BOUNCE, with the failed recipient (Original-Recipient, else
   Final-Recipient) and the returned original's Message-ID. A report with only
   delayed (4.x.x) recipients is UNKNOWN, "delivery delayed": the server keeps
   trying, so it is not a hard bounce. Any other report (delivered, relayed) is
   UNKNOWN.
2. Out of office: an automatic-reply header (`Auto-Submitted` other than "no",
   `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply`; `Precedence: bulk/junk`
   only together with an out-of-office phrase), or an out-of-office phrase in the new
   words or the subject ("Automatic reply: ...", "Abwesenheitsnotiz: ..."). The
   return date is the latest date named that falls on or after the day the
   reply arrived (a weekday only when no date is named).
3. Unsubscribe, asked in words: before anything else a person wrote, because a
   request to stop wins over "not interested" and over a referral.
4. Referral: a referral phrase and an address in the new words that is neither the
   sender's (From, Reply-To, Sender) nor the one written to (To). Without such an
   address the phrase alone is not a referral and the next rules are tried.
5. Not interested (before interested, so "not interested" is never "interested").
6. Interested.
7. Unknown: a person answered; a person should read it.

Plain typed Python, standard library only for mail, HTML and dates.
"""

from __future__ import annotations

import datetime as dt
import email.message
import email.utils
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import HeaderParser
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cam_core.vocabulary import ReplyClass

RULES_FILE = "reply_rules.yaml"
#: Classes whose phrasings the rules hold, in the order they are tried after the headers.
PHRASE_CLASSES = (
    ReplyClass.OUT_OF_OFFICE,
    ReplyClass.UNSUBSCRIBE,
    ReplyClass.REFERRAL,
    ReplyClass.NOT_INTERESTED,
    ReplyClass.INTERESTED,
)
_LABEL = {
    ReplyClass.INTERESTED: "interested",
    ReplyClass.NOT_INTERESTED: "not interested",
    ReplyClass.OUT_OF_OFFICE: "out of office",
    ReplyClass.UNSUBSCRIBE: "unsubscribe",
    ReplyClass.BOUNCE: "bounce",
    ReplyClass.REFERRAL: "referral",
    ReplyClass.UNKNOWN: "unknown",
}
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_SNIPPET = 60


class RulesError(ValueError):
    """A rules file that cannot be used, naming the file and the problem."""


@dataclass(frozen=True)
class Classification:
    kind: ReplyClass
    reason: str  # which rule fired on what, in words a person can read
    return_date: dt.date | None = None  # out of office, when given
    failed_recipient: str | None = None  # bounce: the address the DSN says failed, lower-case
    original_message_id: str | None = None  # bounce: Message-ID of the returned original
    referral: str | None = None  # referral: the address named (lower-case), never the sender's own


@dataclass(frozen=True)
class Phrase:
    kind: ReplyClass
    language: str
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.kind.value}.{self.language}"


@dataclass(frozen=True)
class HeaderRule:
    header: str
    values: frozenset[str] = frozenset()  # empty: any value...
    excepted: frozenset[str] = frozenset()  # ...but these
    needs_phrase: bool = False

    def fires(self, value: str) -> bool:
        word = value.strip().split(";")[0].split()[0].lower() if value.strip() else ""
        if self.values:
            return word in self.values
        return word not in self.excepted


@dataclass(frozen=True)
class ReplyRules:
    phrases: tuple[Phrase, ...]
    headers: tuple[HeaderRule, ...]
    quote_headers: tuple[re.Pattern[str], ...]
    quote_blocks: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    signatures: tuple[re.Pattern[str], ...]
    html_quote_tags: frozenset[str]
    html_quote_classes: frozenset[str]
    dates: tuple[re.Pattern[str], ...]
    months: Mapping[str, int] = field(default_factory=dict)
    weekdays: Mapping[str, int] = field(default_factory=dict)

    def of(self, kind: ReplyClass) -> Iterator[Phrase]:
        return (p for p in self.phrases if p.kind == kind)


# --- rules ------------------------------------------------------------------------------


def _compile(pattern: Any, where: str, *, whole_words: bool = False) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise RulesError(f"{where}: expected a pattern, got {pattern!r}")
    text = pattern.strip()
    if whole_words:
        # Any run of spaces in a phrase matches any run of white space (line breaks too).
        text = r"(?<!\w)(?:" + re.sub(r" +", r"\\s+", text) + r")(?!\w)"
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: not a valid pattern {pattern!r} ({exc})") from None


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: expected a mapping")
    return raw


def _sequence(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RulesError(f"{where}: expected a list")
    return raw


def _read(text: str, source: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{source}: not valid YAML ({exc})") from None
    raw = _mapping(raw, source)
    known = {
        "auto_reply_headers",
        "quote_headers",
        "quote_header_blocks",
        "signatures",
        "html_quote",
        "return_dates",
        "months",
        "weekdays",
        "phrases",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RulesError(f"{source}: unknown section(s) {', '.join(unknown)} (expected some of {sorted(known)})")
    return raw


def _names(sources: list[tuple[str, dict[str, Any]]], section: str) -> dict[str, int]:
    names: dict[str, int] = {}
    for source, raw in sources:
        for language, table in _mapping(raw.get(section), f"{source}: {section}").items():
            for name, number in _mapping(table, f"{source}: {section}.{language}").items():
                if not isinstance(number, int):
                    raise RulesError(f"{source}: {section}.{language}.{name}: expected a number")
                names[unicodedata.normalize("NFC", str(name)).lower()] = number
    return names


def _alternation(names: Iterable[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _build(sources: list[tuple[str, dict[str, Any]]]) -> ReplyRules:
    phrases: list[Phrase] = []
    headers: list[HeaderRule] = []
    quote_headers: list[re.Pattern[str]] = []
    quote_blocks: list[tuple[re.Pattern[str], re.Pattern[str]]] = []
    signatures: list[re.Pattern[str]] = []
    tags: set[str] = set()
    classes: set[str] = set()
    date_patterns: list[str] = []
    months = _names(sources, "months")
    weekdays = _names(sources, "weekdays")
    for source, raw in sources:
        for kind_name, languages in _mapping(raw.get("phrases"), f"{source}: phrases").items():
            try:
                kind = ReplyClass(kind_name)
            except ValueError:
                allowed = ", ".join(k.value for k in PHRASE_CLASSES)
                raise RulesError(f"{source}: phrases.{kind_name}: not a class with phrasings ({allowed})") from None
            if kind not in PHRASE_CLASSES:
                raise RulesError(f"{source}: phrases.{kind_name}: this class is not decided by phrasings")
            for language, patterns in _mapping(languages, f"{source}: phrases.{kind_name}").items():
                where = f"{source}: phrases.{kind_name}.{language}"
                for pattern in _sequence(patterns, where):
                    phrases.append(Phrase(kind, str(language), _compile(pattern, where, whole_words=True)))
        for i, rule in enumerate(_sequence(raw.get("auto_reply_headers"), f"{source}: auto_reply_headers")):
            where = f"{source}: auto_reply_headers[{i}]"
            rule = _mapping(rule, where)
            if not isinstance(rule.get("header"), str):
                raise RulesError(f"{where}: expected a header name")
            headers.append(
                HeaderRule(
                    header=rule["header"],
                    values=frozenset(str(v).lower() for v in _sequence(rule.get("values"), where)),
                    excepted=frozenset(str(v).lower() for v in _sequence(rule.get("except"), where)),
                    needs_phrase=bool(rule.get("needs_phrase", False)),
                )
            )
        for pattern in _sequence(raw.get("quote_headers"), f"{source}: quote_headers"):
            quote_headers.append(_compile(pattern, f"{source}: quote_headers"))
        for block in _sequence(raw.get("quote_header_blocks"), f"{source}: quote_header_blocks"):
            where = f"{source}: quote_header_blocks"
            block = _mapping(block, where)
            quote_blocks.append((_compile(block.get("first"), where), _compile(block.get("then"), where)))
        for pattern in _sequence(raw.get("signatures"), f"{source}: signatures"):
            signatures.append(_compile(pattern, f"{source}: signatures"))
        html = _mapping(raw.get("html_quote"), f"{source}: html_quote")
        tags.update(str(t).lower() for t in _sequence(html.get("tags"), f"{source}: html_quote.tags"))
        classes.update(str(c) for c in _sequence(html.get("classes"), f"{source}: html_quote.classes"))
        for pattern in _sequence(raw.get("return_dates"), f"{source}: return_dates"):
            if not isinstance(pattern, str):
                raise RulesError(f"{source}: return_dates: expected a pattern, got {pattern!r}")
            date_patterns.append(pattern)
    month_names, weekday_names = _alternation(months), _alternation(weekdays)
    dates = tuple(
        _compile(
            p.replace("{month}", month_names).replace("{weekday}", weekday_names),
            "return_dates",
            whole_words=True,
        )
        for p in date_patterns
    )
    return ReplyRules(
        phrases=tuple(phrases),
        headers=tuple(headers),
        quote_headers=tuple(quote_headers),
        quote_blocks=tuple(quote_blocks),
        signatures=tuple(signatures),
        html_quote_tags=frozenset(tags),
        html_quote_classes=frozenset(classes),
        dates=dates,
        months=months,
        weekdays=weekdays,
    )


@cache
def _shipped_text() -> str:
    return resources.files("cam_core.data").joinpath(RULES_FILE).read_text(encoding="utf-8")


@cache
def _shipped() -> ReplyRules:
    return _build([(RULES_FILE, _read(_shipped_text(), RULES_FILE))])


def load_rules(extra: Path | None = None) -> ReplyRules:
    """The shipped rules, plus a team's own file (same shape) whose entries are added to them."""
    if extra is None:
        return _shipped()
    path = Path(extra)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read the file ({exc})") from None
    return _build([(RULES_FILE, _read(_shipped_text(), RULES_FILE)), (str(path), _read(text, str(path)))])


# --- the new words ---------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """HTML to text: block elements become line breaks; quoted elements are dropped."""

    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul", "ol"})
    HIDDEN = frozenset({"style", "script", "head", "title"})

    def __init__(self, rules: ReplyRules) -> None:
        super().__init__(convert_charrefs=True)
        self.rules = rules
        self.parts: list[str] = []
        self.skip_tag: str | None = None  # the element whose content is being dropped
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in self.rules.html_quote_tags or tag in self.HIDDEN or classes & self.rules.html_quote_classes:
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_tag is None:
            self.parts.append(data)


def html_to_text(html: str, rules: ReplyRules | None = None) -> str:
    parser = _HtmlText(rules or load_rules())
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: email.message.Message) -> str:
    if isinstance(part, email.message.EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, KeyError, ValueError):
            pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return payload if isinstance(payload, str) else ""


def _body(message: email.message.EmailMessage, rules: ReplyRules) -> str:
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() in ("message/rfc822", "message/delivery-status"):
            break  # a returned original: not the reply's own words
        if part.get_content_type() == "text/plain" and plain is None:
            plain = _part_text(part)
        elif part.get_content_type() == "text/html" and html is None:
            html = _part_text(part)
    if plain is not None and plain.strip():
        return plain
    return html_to_text(html, rules) if html else ""


def _matches_any(patterns: Iterable[re.Pattern[str]], line: str) -> bool:
    return any(p.search(line) for p in patterns)


def _quote_header(lines: list[str], i: int, rules: ReplyRules) -> int:
    """How many lines the quote header starting at line `i` spans (0: none starts there)."""
    line = lines[i].strip()
    if not line:
        return 0
    if _matches_any(rules.quote_headers, line):
        return 1
    if i + 1 < len(lines) and _matches_any(rules.quote_headers, f"{line} {lines[i + 1].strip()}"):
        return 2  # a long "On ... wrote:" wrapped by the client
    block = any(
        first.search(line) and any(then.search(following.strip()) for following in lines[i + 1 : i + 4])
        for first, then in rules.quote_blocks
    )
    return 1 if block else 0


def strip_quotes(text: str, rules: ReplyRules | None = None) -> str:
    """The new words of a reply's text: quoted history and signature removed."""
    rules = rules or load_rules()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">"):
            i += 1
            continue
        span = _quote_header(lines, i, rules)
        if span:
            following = next((later for later in lines[i + span :] if later.strip()), "")
            if following.lstrip().startswith(">"):
                i += span
                continue  # bottom-posted: the header and the `>` lines go, the answer below stays
            break  # top-posted: the header and all below it are history
        if _matches_any(rules.signatures, line):
            break
        kept.append(line)
        i += 1
    return "\n".join(kept).strip()


def reply_text(message: email.message.EmailMessage, rules: ReplyRules | None = None) -> str:
    """The new words only: text/plain (or HTML converted to text), quoted history and signature stripped."""
    rules = rules or load_rules()
    return strip_quotes(_body(message, rules), rules)


# --- delivery status notifications -----------------------------------------------------


def _address(field_value: str | None) -> str | None:
    if not field_value:
        return None
    value = str(field_value).split(";", 1)[-1].strip().strip("<>").strip()
    return value.lower() or None


def _message_id(headers: email.message.Message | None) -> str | None:
    if headers is None:
        return None
    value = headers.get("Message-ID")
    return str(value).strip() if value else None


def _dsn_parts(message: email.message.EmailMessage) -> tuple[list[email.message.Message], str | None] | None:
    """The per-recipient blocks of a DSN and the returned original's Message-ID; None if not a DSN."""
    is_report = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "") or "").lower() == "delivery-status"
    )
    blocks: list[email.message.Message] = []
    original: str | None = None
    found = False
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            found = True
            payload = part.get_payload()
            if isinstance(payload, list):
                blocks.extend(b for b in payload if isinstance(b, email.message.Message))
            elif isinstance(payload, str):
                blocks.extend(HeaderParser(policy=policy.default).parsestr(chunk) for chunk in payload.split("\n\n"))
        elif kind == "message/rfc822" and original is None:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            original = _message_id(inner if isinstance(inner, email.message.Message) else None)
        elif kind == "text/rfc822-headers" and original is None:
            original = _message_id(HeaderParser(policy=policy.default).parsestr(_part_text(part)))
    if not (is_report or found):
        return None
    return [b for b in blocks if b.get("Final-Recipient") or b.get("Original-Recipient")], original


def _clip(text: str, limit: int = _SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _from_dsn(blocks: list[email.message.Message], original: str | None) -> Classification:
    seen: list[tuple[str, str, str, email.message.Message]] = []
    for block in blocks:
        recipient = _address(block.get("Original-Recipient")) or _address(block.get("Final-Recipient")) or "?"
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip().split()[0] if block.get("Status") else ""
        seen.append((recipient, action, status, block))
    for recipient, action, status, block in seen:
        if action == "failed" or status.startswith("5"):
            diagnostic = block.get("Diagnostic-Code")
            said = f"; {_clip(str(diagnostic), 80)}" if diagnostic else ""
            return Classification(
                ReplyClass.BOUNCE,
                f"bounce: delivery status notification, Status {status or '?'} (Action {action or '?'})"
                f" for {recipient}{said}",
                failed_recipient=None if recipient == "?" else recipient,
                original_message_id=original,
            )
    for recipient, action, status, _ in seen:
        if action == "delayed" or status.startswith("4"):
            return Classification(
                ReplyClass.UNKNOWN,
                f"unknown: delivery delayed, Status {status or '?'} (Action {action or '?'}) for {recipient}:"
                " the server is still trying, not a bounce",
                original_message_id=original,
            )
    actions = ", ".join(sorted({a for _, a, _, _ in seen if a})) or "no recipient failed"
    return Classification(
        ReplyClass.UNKNOWN,
        f"unknown: delivery status notification without a failure ({actions})",
        original_message_id=original,
    )


# --- dates -----------------------------------------------------------------------------


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _resolve(match: re.Match[str], received: dt.date, rules: ReplyRules) -> dt.date | None:
    found = match.groupdict()
    if found.get("weekday"):
        weekday = rules.weekdays[unicodedata.normalize("NFC", found["weekday"]).lower()]
        return received + dt.timedelta(days=(weekday - received.weekday()) % 7)
    day = _number(found.get("day"))
    month_text = (found.get("month") or "").lower()
    month = _number(month_text) or rules.months.get(unicodedata.normalize("NFC", month_text).rstrip("."))
    if not day or not month:
        return None
    year = _number(found.get("year"))
    if year is not None and year < 100:
        year += 2000
    try:
        if year is not None:
            return dt.date(year, month, day)
        when = dt.date(received.year, month, day)
    except ValueError:
        return None
    if when < received - dt.timedelta(days=183):
        try:
            return dt.date(received.year + 1, month, day)  # "back on 5 January", written in December
        except ValueError:
            return None
    return when


def return_date(text: str, received: dt.date, rules: ReplyRules | None = None) -> tuple[dt.date, str] | None:
    """The latest date named on or after `received` (a weekday only when no date is), with its words.

    A date without a year is this year's, or next year's when this year's is more than half a
    year past ("back on 5 January", written in December); dates before `received` are ignored
    ("away from 10 November until 30 November" is back on the 30th). A weekday is the next
    such day on or after `received`.
    """
    rules = rules or load_rules()
    dated: list[tuple[dt.date, str]] = []
    weekdays: list[tuple[dt.date, str]] = []
    for pattern in rules.dates:
        for match in pattern.finditer(text):
            when = _resolve(match, received, rules)
            if when is not None and when >= received:
                words = match.group(0)
                words = words[:-1] if words.endswith(".") and words[-2:-1].isalpha() else words  # "Nov." keeps no dot
                (weekdays if match.groupdict().get("weekday") else dated).append((when, words))
    chosen = dated or weekdays
    return max(chosen, key=lambda found: found[0]) if chosen else None


# --- classifying -----------------------------------------------------------------------


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'").replace("\xa0", " ")
    return text


def _first(rules: ReplyRules, kind: ReplyClass, text: str) -> tuple[Phrase, re.Match[str]] | None:
    found = [(m.start(), phrase, m) for phrase in rules.of(kind) if (m := phrase.pattern.search(text))]
    if not found:
        return None
    _, phrase, match = min(found, key=lambda f: f[0])
    return phrase, match


def _said(phrase: Phrase, match: re.Match[str]) -> str:
    return f'phrase {phrase.name} "{_clip(match.group(0))}"'


def _own_addresses(message: email.message.EmailMessage) -> set[str]:
    values = [str(v) for name in ("From", "Sender", "Reply-To", "To") for v in message.get_all(name, [])]
    return {address.lower() for _, address in email.utils.getaddresses(values) if address}


def _auto_reply_header(message: email.message.EmailMessage, rules: ReplyRules, phrase_found: bool) -> str | None:
    for rule in rules.headers:
        for value in message.get_all(rule.header, []):
            if rule.fires(str(value)) and (phrase_found or not rule.needs_phrase):
                return f"header {rule.header}: {_clip(str(value), 40)}"
    return None


def classify(message: email.message.EmailMessage, received: dt.date, rules: ReplyRules | None = None) -> Classification:
    """What a reply says and why; `received` is the day it arrived (to resolve "back on Monday")."""
    rules = rules or load_rules()
    dsn = _dsn_parts(message)
    if dsn is not None:
        return _from_dsn(*dsn)

    text = _normalised(reply_text(message, rules))
    subject = _normalised(str(message.get("Subject", "")))

    ooo = _first(rules, ReplyClass.OUT_OF_OFFICE, text) or _first(rules, ReplyClass.OUT_OF_OFFICE, subject)
    header = _auto_reply_header(message, rules, ooo is not None)
    if header or ooo:
        why = [w for w in (header, _said(*ooo) if ooo else None) if w]
        back = return_date(text, received, rules)
        if back:
            why.append(f'back on {back[0].isoformat()} ("{_clip(back[1])}")')
        return Classification(
            ReplyClass.OUT_OF_OFFICE, "out of office: " + "; ".join(why), return_date=back[0] if back else None
        )

    found = _first(rules, ReplyClass.UNSUBSCRIBE, text)
    if found:
        return Classification(ReplyClass.UNSUBSCRIBE, f"unsubscribe: {_said(*found)}")

    found = _first(rules, ReplyClass.REFERRAL, text)
    if found:
        own = _own_addresses(message)
        named = [a.lower().rstrip(".") for a in _ADDRESS.findall(text) if a.lower().rstrip(".") not in own]
        if named:
            after = [a for a in named if text.lower().find(a) >= found[1].start()]
            address = (after or named)[0]
            return Classification(ReplyClass.REFERRAL, f"referral: {_said(*found)} naming {address}", referral=address)

    for kind in (ReplyClass.NOT_INTERESTED, ReplyClass.INTERESTED):
        found = _first(rules, kind, text)
        if found:
            return Classification(kind, f"{_LABEL[kind]}: {_said(*found)}")

    if not text:
        return Classification(ReplyClass.UNKNOWN, "unknown: no new words once quotes and signature are removed")
    return Classification(ReplyClass.UNKNOWN, f'unknown: no rule matched "{_clip(text)}"')

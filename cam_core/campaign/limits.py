"""Limits on what a campaign template may cost: time, and the size of what it builds.

Jinja's sandbox stops a template reaching outside it, not one asking for all the
memory or time there is: `{{ 9**(9**(9**9)) }}` never finishes (Jinja even folds it
while compiling), `{{ 'x' * 10**9 }}` takes a gigabyte. `LimitedEnvironment` checks,
before the work is done, every operation that can multiply a value's size (`**`, `*`,
`+`, `%`, `~`, string methods and filters such as `center`, `replace`, `join`, `indent`,
the namespace a loop carries state in) and refuses with `TemplateLimit` what would
build a text longer than MAX_TEXT or an integer wider than MAX_INT_BITS. Built-in
values cannot be changed in place (an immutable sandbox), so nothing grows unseen.
`time_limit` refuses a render that runs longer than its seconds (a loop nested in a
loop): it checks the clock on each line the render's Python code runs.
"""

from __future__ import annotations

import re
import string
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from types import FrameType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

#: Characters one rendered template, or any text or list it builds, may have (Gmail clips at ~100 kB).
MAX_TEXT = 200_000
#: Bits an integer a template computes may have (about 1,200 decimal digits).
MAX_INT_BITS = 4_096


class TemplateLimit(SecurityError):
    """A template that asks for more time or memory than an email needs."""


def too_large(what: str, size: int) -> TemplateLimit:
    return TemplateLimit(f"{what} would be too large ({size:,} characters; the limit is {MAX_TEXT:,})")


def size_of(value: Any, limit: int = MAX_TEXT) -> int:
    """Characters `value` holds (texts in lists counted in full, other items as 1), counted
    only until past `limit`: `[x] * 10**6` holds `x` a million times over."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if not isinstance(value, (list, tuple)):
        return 1
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple)):
            if len(item) > limit:
                return len(item)
            stack.extend(item)
        else:
            total += 1
    return total


def checked(value: Any, what: str = "a value") -> Any:
    """`value`, once it is known to be within the limits."""
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"{what} would be too large (a {value.bit_length():,}-bit number)")
    if isinstance(value, (str, bytes, list, tuple)):
        size = size_of(value)
        if size > MAX_TEXT:
            raise too_large(what, size)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _widths(numbers: list[str], what: str) -> None:
    widest = max((int(n) for n in numbers if n), default=0)
    if widest > MAX_TEXT:
        raise too_large(what, widest)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d*)(?:\.(\d*))?")


def _check_percent_format(fmt: str, args: Any) -> None:
    """`'%1000000000s' % x`: a width in the format, or one passed for a `*`."""
    _widths([n for spec in _PERCENT_SPEC.findall(fmt) for n in spec], "the formatted text")
    values = args if isinstance(args, tuple) else (args,)
    _widths([str(abs(v)) for v in values if _is_int(v)], "the formatted text")


def _check_brace_format(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """`'{:>1000000000}'.format(x)`: a width in a field's spec, or one nested from the arguments."""
    try:
        specs = [spec or "" for _, _, spec, _ in string.Formatter().parse(fmt)]
    except ValueError:
        return  # str.format reports the broken format itself
    _widths(re.findall(r"\d+", " ".join(specs)), "the formatted text")
    _widths([str(abs(v)) for v in (*args, *kwargs.values()) if _is_int(v)], "the formatted text")


def _count(text: Any, part: Any) -> int:
    return text.count(part) if isinstance(text, str) and isinstance(part, str) else 0


def _replace_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = len(text) + 1 if old == "" else text.count(old)
    if _is_int(count) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _join_size(separator: Any, items: Any) -> int:
    if not isinstance(items, (list, tuple, range, str)):
        return 0  # a generator: measured once joined
    return size_of(list(items) if isinstance(items, range) else items) + len(items) * size_of(separator)


def _width(text: Any, width: Any) -> int:
    return max(size_of(text), width if _is_int(width) else 0)


#: What a string method called from a template would build, in characters, from its arguments.
_STR_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "replace": lambda s, old="", new="", count=-1, *_: _replace_size(s, old, new, count),
    "join": lambda s, items=(), *_: _join_size(s, items),
    "center": lambda s, width=0, *_: _width(s, width),
    "ljust": lambda s, width=0, *_: _width(s, width),
    "rjust": lambda s, width=0, *_: _width(s, width),
    "zfill": lambda s, width=0, *_: _width(s, width),
    "expandtabs": lambda s, tabsize=8, *_: len(s) + _count(s, "\t") * (tabsize if _is_int(tabsize) else 0),
}


def _indent_size(s: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    pad = width if _is_int(width) else size_of(width)
    return size_of(s) + (_count(s, "\n") + 1) * pad


def _wordwrap_size(s: Any, width: Any = 79, *rest: Any, wrapstring: Any = None, **__: Any) -> int:
    wrap = rest[1] if len(rest) > 1 else wrapstring
    lines = size_of(s) // max(width if _is_int(width) else 1, 1) + 1
    return size_of(s) + lines * (size_of(wrap) if isinstance(wrap, str) else 1)


#: What a filter would build, in characters, from its arguments (the value first).
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda s, width=80, *_, **__: _width(s, width),
    "indent": _indent_size,
    "join": lambda items, d="", *_, **__: _join_size(d, items),
    "replace": lambda s, old="", new="", count=None, *_, **__: _replace_size(
        str(s), old, new, -1 if count is None else count
    ),
    "wordwrap": _wordwrap_size,
}


def _limited_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    size = _FILTER_SIZES.get(name)
    passes_first = hasattr(function, "jinja_pass_arg")  # context, eval context or environment comes first

    @wraps(function)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if size is not None:
            own = args[1:] if passes_first else args
            if own and size(*own, **kwargs) > MAX_TEXT:
                raise too_large(f"the result of the {name} filter", size(*own, **kwargs))
        if name == "format" and args:
            value = args[1] if passes_first else args[0]
            if isinstance(value, str):
                _check_percent_format(value, tuple(args[2:] if passes_first else args[1:]))
        return checked(function(*args, **kwargs), f"the result of the {name} filter")

    return limited


class LimitedNamespace(Namespace):
    """`namespace()`: the one place a loop can carry a value from one pass to the next."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, checked(value, f"namespace value {name!r}"))


class LimitedCodeGenerator(CodeGenerator):
    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # `~` joins its parts in a helper the sandbox has no hook for: measure them first.
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"{func_name}(environment.measured_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


_SIZED = (str, bytes, list, tuple)


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with each size-multiplying operation checked before it runs.

    Intercepted operators are never folded into constants while compiling, so a
    template cannot get round the checks by writing its numbers out."""

    code_generator_class = LimitedCodeGenerator
    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}
        self.globals["namespace"] = LimitedNamespace

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            if right > MAX_INT_BITS or right * (abs(left).bit_length() - 1) > MAX_INT_BITS:
                raise TemplateLimit(f"{left} ** {right} would be too large (more than {MAX_INT_BITS:,} bits)")
        elif operator == "*":
            if _is_int(left) and _is_int(right):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise TemplateLimit(f"the product would be too large (more than {MAX_INT_BITS:,} bits)")
            else:
                sequence, times = (left, right) if isinstance(left, _SIZED) else (right, left)
                if isinstance(sequence, _SIZED) and _is_int(times) and size_of(sequence) * times > MAX_TEXT:
                    raise too_large("the repeated value", size_of(sequence) * times)
        elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
            if size_of(left) + size_of(right) > MAX_TEXT:
                raise too_large("the joined value", size_of(left) + size_of(right))
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
        return checked(super().call_binop(context, operator, left, right), "the result")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            method = getattr(target, "__name__", "")
            if method in _STR_METHOD_SIZES:
                size = _STR_METHOD_SIZES[method](owner, *args, *kwargs.values())
                if size > MAX_TEXT:
                    raise too_large(f"the result of .{method}()", size)
            elif method == "format":
                _check_brace_format(owner, args, kwargs)
            elif method == "format_map" and args and isinstance(args[0], Mapping):
                _check_brace_format(owner, (), args[0])
        for value in (*args, *kwargs.values()):
            checked(value, "an argument")
        return checked(super().call(__context, __obj, *args, **kwargs), "the result of a call")

    def measured_parts(self, parts: tuple[Any, ...]) -> tuple[Any, ...]:
        size = sum(size_of(p) for p in parts)
        if size > MAX_TEXT:
            raise too_large("the joined text", size)
        return parts


#: The file name Jinja gives the code it compiles from a template string.
TEMPLATE_CODE = "<template>"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Refuse, with `TemplateLimit`, template code run in this block that takes longer than `seconds`.

    The clock is read on each line a compiled template runs (a trace function, this thread only),
    so a loop stops at its next pass; a single long C call cannot be stopped, which is why the
    operations that could make one are checked for size before they run. The clock is this
    thread's CPU time: a busy machine, or a garbage collection's callbacks (other code, not
    traced), must not fail a render that would take microseconds."""
    deadline = time.thread_time() + seconds

    def on_line(frame: FrameType, event: str, arg: Any) -> Any:
        if time.thread_time() > deadline:
            raise TemplateLimit(f"took longer than {seconds:g} s to render")
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        # Only the template's own code: Jinja compiles it under this name (`Template(source)`).
        return on_line if frame.f_code.co_filename == TEMPLATE_CODE else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)

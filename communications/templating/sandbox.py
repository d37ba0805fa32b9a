"""The Jinja2 sandbox campaign templates run in: immutable, strict about unsafe attributes,
bounded in loops, repeated sequences and powers; and template compilation, cached."""

from __future__ import annotations

import functools
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError, safe_range

TEMPLATE_NAME = "<template>"

# Guards against a template that would exhaust the worker: the items all `range()` calls of
# one render may produce, and the largest sequence `*` and number `**` may build.
RANGE_BUDGET = 100_000
MAX_SEQUENCE_LENGTH = 100_000
MAX_EXPONENT = 100
_range_budget: ContextVar[list[int] | None] = ContextVar("range_budget", default=None)


def _budgeted_range(*args: int) -> range:
    numbers = safe_range(*args)
    budget = _range_budget.get()
    if budget is not None:
        budget[0] -= len(numbers)
        if budget[0] < 0:
            raise SecurityError(f"the template loops over more than {RANGE_BUDGET} numbers")
    return numbers


class _StrictSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, where an unsafe attribute is an error instead of rendering
    empty (the stock sandbox hides `{{ ''.__class__ }}` silently), and where loops over
    `range`, repeated sequences and powers are bounded. `*` and `**` are intercepted, which
    also keeps the compiler from folding `'x' * 10**10` while a template is saved."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.globals["range"] = _budgeted_range

    def unsafe_undefined(self, obj: Any, attribute: str):
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeats = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeats and len(sequence) * times > MAX_SEQUENCE_LENGTH:
                    raise SecurityError(
                        f"a repeated sequence may not exceed {MAX_SEQUENCE_LENGTH} items"
                    )
        return super().call_binop(context, operator, left, right)


def bounded_render(template: Template, context: dict) -> str:
    """Render with a fresh loop budget."""
    token = _range_budget.set([RANGE_BUDGET])
    try:
        return template.render(context)
    finally:
        _range_budget.reset(token)


@functools.cache
def sandbox_environment(*, autoescape: bool) -> _StrictSandbox:
    """The one sandbox per escaping mode (HTML bodies autoescape, text and subjects not)."""
    return _StrictSandbox(autoescape=autoescape, undefined=ChainableUndefined)


@dataclass(frozen=True)
class CompiledTemplate:
    template: Template
    names: frozenset[str]  # the context variables the template reads


@functools.lru_cache(maxsize=256)
def compile_template(source: str, autoescape: bool) -> CompiledTemplate:
    """Parse and compile once per distinct source (a batch renders one campaign many times)."""
    environment = sandbox_environment(autoescape=autoescape)
    tree = environment.parse(source, name=TEMPLATE_NAME)
    names = frozenset(meta.find_undeclared_variables(tree))
    return CompiledTemplate(environment.from_string(tree), names)


def private_attribute_errors(tree: nodes.Template) -> list[dict]:
    """`x.__class__`, `x['_meta']` and `x|attr('__dict__')` found without rendering."""
    errors = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            argument = node.args[0]
            name = argument.value if isinstance(argument, nodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            errors.append(
                {"line": node.lineno, "message": f"access to attribute {name!r} is not allowed"}
            )
    return sorted(errors, key=lambda error: error["line"])


def template_line(error: BaseException) -> int | None:
    """The template line a render error happened on (Jinja maps its frames to it)."""
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == TEMPLATE_NAME:
            line = lineno
    return line or getattr(error, "lineno", None)


def describe_error(error: BaseException) -> str:
    """A render error as a message for the person who wrote the template."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if isinstance(error, SecurityError | TemplateSyntaxError):
        return message
    return f"{type(error).__name__}: {message}"

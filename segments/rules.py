"""The segment rule language: check a rule (every error, at its JSON-pointer path), compile
it to one SQL condition over partners, and explain it for one partner.

A rule is a group — {"all": [...]}, {"any": [...]} or {"not": <rule>} — or a condition
{"field", "op", "value"}. What fields and operators mean lives in the field registry
(segments.fields); this module walks the tree. Pure: it reads tiers, segments and the
partner being explained, and never writes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import and_, or_
from typing import Any, TypeVar

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from partners.models import Partner, Tier
from segments.fields import (
    FALSE,
    NEGATED_OPS,
    TRUE,
    TYPES,
    FieldSpec,
    Invalid,
    get_field,
)
from segments.models import Segment

MAX_DEPTH = 20
MAX_CONDITIONS = 500
MAX_GROUPS = 500
GROUP_KINDS = ("all", "any", "not")
CONDITION_KEYS = ("field", "op", "value")
Key = TypeVar("Key", bound=Hashable)  # what names a rule in explain_rules


class RuleError(ValueError):
    """A rule that does not validate; `errors` is the list validate_rule returns."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['path'] or '/'}: {e['message']}" for e in errors))


@dataclass(frozen=True)
class _Condition:
    path: str
    spec: FieldSpec
    op: str
    value: Any
    given: Any


@dataclass(frozen=True)
class _Group:
    path: str
    kind: str
    children: tuple[_Condition | _Group, ...]


def validate_rule(
    rule: Any, *, segment_exists: Callable[[str], bool] | None = None
) -> list[dict[str, str]]:
    """Every error in a rule as {"path": JSON pointer, "message"}; an empty list = valid.

    `segment_exists(slug)` decides whether a `segment` condition names a real segment
    (default: a Segment with that slug exists).
    """
    return _parse(rule, segment_exists)[1]


def compile_rule(rule: Any, *, today: dt.date | None = None) -> Q:
    """One condition over partners.Partner (Exists subqueries, no joins); raise RuleError."""
    return _compile(_parse_valid(rule), today or timezone.localdate())


def rule_segment_slugs(rule: Any) -> set[str]:
    """Slugs of the segments that `segment` conditions name; tolerates invalid rules."""
    slugs: set[str] = set()
    for node in _nodes(rule):
        if node.get("field") != "segment":
            continue
        value = node.get("value")
        values = value if isinstance(value, list) else [value]
        slugs.update(slug.strip() for slug in values if isinstance(slug, str) and slug.strip())
    return slugs


def explain_rule(rule: Any, *, partner_id: int, today: dt.date | None = None) -> dict[str, Any]:
    """The rule evaluated for one partner, node by node, with the partner's actual values.

    One query evaluates every condition and reads the partner's scalar values, plus one per
    kind of list value named (industries, technologies, certifications, segments). Raises
    RuleError for an invalid rule and Partner.DoesNotExist for an unknown partner.
    """
    explanation = explain_rules({None: rule}, partner_id=partner_id, today=today)[None]
    if isinstance(explanation, RuleError):
        raise explanation
    return explanation


def explain_rules(
    rules: Mapping[Key, Any], *, partner_id: int, today: dt.date | None = None
) -> dict[Key, dict[str, Any] | RuleError]:
    """explain_rule for several rules and one partner (a partner page explains every segment
    the partner is in) in the same number of queries as for one: the tier and segment
    look-ups of the checks, one query for every condition of every rule and the scalar
    values, one per kind of list value named. An invalid rule maps to its RuleError; the
    others are explained. Raises Partner.DoesNotExist for an unknown partner."""
    today = today or timezone.localdate()
    explained: dict[Key, dict[str, Any] | RuleError] = {}
    trees: dict[Key, _Condition | _Group] = {}
    lookups = _Lookups()  # tiers and segments looked up once for all the rules
    for key, rule in rules.items():
        try:
            trees[key] = _parse_valid(rule, lookups)
        except RuleError as error:
            explained[key] = error
    select: dict[str, Any] = {}
    aliases: dict[Key, dict[str, str]] = {}  # rule → condition path → column
    specs: dict[str, FieldSpec] = {}
    for key, tree in trees.items():
        aliases[key] = {}
        for condition in _conditions(tree):
            alias = f"c{len(select)}"
            select[alias] = ExpressionWrapper(
                _compile_condition(condition, today), output_field=BooleanField()
            )
            aliases[key][condition.path] = alias
            specs.setdefault(condition.spec.name, condition.spec)
    scalar_aliases: dict[str, str] = {}
    for index, spec in enumerate(specs.values()):
        handler = TYPES[spec.type]
        if handler.actual_list is None:
            scalar_aliases[spec.name] = f"a{index}"
            expression = handler.actual_expression or (lambda spec, today: spec.lhs(today))
            select[f"a{index}"] = expression(spec, today)
    row = Partner.objects.filter(pk=partner_id).values("pk", **select).get()
    actual = {}
    for spec in specs.values():
        handler = TYPES[spec.type]
        if handler.actual_list is not None:
            actual[spec.name] = handler.actual_list(spec, partner_id, today)
        elif handler.present is not None:
            actual[spec.name] = handler.present(spec, row[scalar_aliases[spec.name]])
        else:
            actual[spec.name] = _json_ready(row[scalar_aliases[spec.name]])
    for key, tree in trees.items():
        results = {path: bool(row[alias]) for path, alias in aliases[key].items()}
        explained[key] = _explain(tree, results, actual)
    return {key: explained[key] for key in rules}


# ---------------------------------------------------------------------------------------
# Checking and parsing
# ---------------------------------------------------------------------------------------


class _Lookups:
    """The tier and segment look-ups of rule checks, cached: one checker's, or shared by the
    checks of several rules (explain_rules)."""

    def __init__(self) -> None:
        self._tiers: dict[str, str] | None = None
        self._segments: dict[str, bool] = {}

    def tier_slugs(self) -> dict[str, str]:
        if self._tiers is None:
            slugs = Tier.objects.order_by("rank").values_list("slug", flat=True)
            self._tiers = {slug.lower(): slug for slug in slugs}
        return self._tiers

    def segment_exists(self, slugs: list[str]) -> Callable[[str], bool]:
        unknown = [slug for slug in slugs if slug not in self._segments]
        if unknown:
            found = set(Segment.objects.filter(slug__in=unknown).values_list("slug", flat=True))
            self._segments.update((slug, slug in found) for slug in unknown)
        return self._segments.__getitem__


class _Checker:
    """Collects errors in rule order; tier and segment look-ups are batched."""

    def __init__(
        self, segment_exists: Callable[[str], bool] | None, lookups: _Lookups | None = None
    ) -> None:
        self._order = itertools.count()
        self._errors: list[tuple[int, str, str]] = []
        self._segment_exists = segment_exists
        self._lookups = lookups or _Lookups()
        self._segments: dict[str, list[tuple[int, str]]] = {}

    def error(self, path: str, message: str) -> None:
        self._errors.append((next(self._order), path, message))

    def tier_slugs(self) -> dict[str, str]:
        return self._lookups.tier_slugs()

    def require_segment(self, slug: str, path: str) -> None:
        self._segments.setdefault(slug, []).append((next(self._order), path))

    def errors(self) -> list[dict[str, str]]:
        if self._segments:
            exists = self._segment_exists or self._lookups.segment_exists(list(self._segments))
            for slug, references in self._segments.items():
                if not exists(slug):
                    for order, path in references:
                        self._errors.append((order, path, f"unknown segment '{slug}'"))
            self._segments = {}
        return [{"path": path, "message": message} for _, path, message in sorted(self._errors)]


class _ValueReport:
    """The checker as seen by one condition's value check (paths relative to its value)."""

    def __init__(self, checker: _Checker, path: str) -> None:
        self._checker, self._path = checker, path

    def error(self, message: str, *, at: str = "") -> None:
        self._checker.error(self._path + at, message)

    def tier_slugs(self) -> dict[str, str]:
        return self._checker.tier_slugs()

    def require_segment(self, slug: str, *, at: str = "") -> None:
        self._checker.require_segment(slug, self._path + at)


def _parse(
    rule: Any, segment_exists: Callable[[str], bool] | None, lookups: _Lookups | None = None
) -> tuple[_Condition | _Group | None, list[dict[str, str]]]:
    conditions, groups = _size(rule)
    oversized = []
    if conditions > MAX_CONDITIONS:
        oversized.append(
            f"the rule is too large: {conditions} conditions, at most {MAX_CONDITIONS} allowed"
        )
    if groups > MAX_GROUPS:
        oversized.append(f"the rule is too large: {groups} groups, at most {MAX_GROUPS} allowed")
    if oversized:
        return None, [{"path": "", "message": message} for message in oversized]
    checker = _Checker(segment_exists, lookups)
    tree = _parse_node(rule, "", 1, checker)
    return tree, checker.errors()


def _parse_valid(rule: Any, lookups: _Lookups | None = None) -> _Condition | _Group:
    tree, errors = _parse(rule, None, lookups)
    if errors:
        raise RuleError(errors)
    return tree


def _parse_node(node: Any, path: str, depth: int, checker: _Checker) -> _Condition | _Group | None:
    if depth > MAX_DEPTH:
        checker.error(path, f"the rule is nested too deeply: at most {MAX_DEPTH} levels")
        return None
    if not isinstance(node, dict):
        checker.error(
            path,
            'expected an object: a group ({"all": [...]}, {"any": [...]} or {"not": {...}}) '
            'or a condition ({"field": ..., "op": ..., "value": ...})',
        )
        return None
    kinds = [kind for kind in GROUP_KINDS if kind in node]
    if not kinds:
        return _parse_condition(node, path, checker)
    if len(node) > 1:
        found = ", ".join(sorted(map(str, node)))
        checker.error(path, f"a group has exactly one key: all, any or not (found: {found})")
    group = None
    for kind in kinds:
        members = node[kind]
        if kind == "not":
            children = [_parse_node(members, f"{path}/not", depth + 1, checker)]
        elif isinstance(members, list):
            children = [
                _parse_node(member, f"{path}/{kind}/{index}", depth + 1, checker)
                for index, member in enumerate(members)
            ]
        else:
            checker.error(f"{path}/{kind}", "expected a list of conditions and groups")
            continue
        group = _Group(path, kind, tuple(children))
    return group


def _parse_condition(node: dict, path: str, checker: _Checker) -> _Condition | None:
    for key in node:
        if key not in CONDITION_KEYS:
            checker.error(
                f"{path}/{_escape(key)}", f"unknown key '{key}': a condition has field, op, value"
            )
    spec = None
    if "field" not in node:
        checker.error(f"{path}/field", "a condition needs a field")
    elif not isinstance(node["field"], str):
        checker.error(f"{path}/field", "expected a field name (a string)")
    else:
        spec = get_field(node["field"])
        if spec is None:
            checker.error(f"{path}/field", f"unknown field '{node['field']}'")
    op = node.get("op")
    if "op" not in node:
        checker.error(f"{path}/op", "a condition needs an op")
        return None
    if not isinstance(op, str):
        checker.error(f"{path}/op", "expected an operator (a string)")
        return None
    if spec is None:
        return None
    if op not in spec.ops:
        checker.error(
            f"{path}/op",
            f"operator '{op}' is not supported by {spec.name} ({spec.type}); "
            f"use one of: {', '.join(spec.ops)}",
        )
        return None
    given = node.get("value")
    if op == "exists":
        if given is not None and given is not True:
            checker.error(f"{path}/value", "exists takes no value")
            return None
    elif "value" not in node:
        checker.error(f"{path}/value", f"a value is required for '{op}'")
        return None
    try:
        value = TYPES[spec.type].check(spec, op, given, _ValueReport(checker, f"{path}/value"))
    except Invalid:
        return None
    return _Condition(path, spec, op, value, given)


def _size(rule: Any) -> tuple[int, int]:
    """(conditions, groups) down to one level below the depth limit, without recursion."""
    conditions = groups = 0
    stack = [(rule, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict) or depth > MAX_DEPTH + 1:
            continue
        kinds = [kind for kind in GROUP_KINDS if kind in node]
        if not kinds:
            conditions += 1
            continue
        groups += 1
        for kind in kinds:
            members = node[kind]
            members = [members] if kind == "not" else members
            if isinstance(members, list):
                stack.extend((member, depth + 1) for member in members)
    return conditions, groups


def _nodes(rule: Any) -> Iterator[dict]:
    """Every condition-like object in a (possibly invalid) rule, without recursion."""
    stack = [(rule, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict) or depth > MAX_DEPTH + 1:
            continue
        kinds = [kind for kind in GROUP_KINDS if kind in node]
        if not kinds:
            yield node
        for kind in kinds:
            members = [node[kind]] if kind == "not" else node[kind]
            if isinstance(members, list):
                stack.extend((member, depth + 1) for member in members)


def _escape(key: Any) -> str:
    """A key as a JSON-pointer reference token (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------------------------
# Compiling and explaining
# ---------------------------------------------------------------------------------------


def _compile(node: _Condition | _Group, today: dt.date) -> Q:
    if isinstance(node, _Condition):
        return _compile_condition(node, today)
    if node.kind == "not":
        return ~_compile(node.children[0], today)
    if not node.children:
        return TRUE if node.kind == "all" else FALSE
    return reduce(
        and_ if node.kind == "all" else or_, (_compile(child, today) for child in node.children)
    )


def _compile_condition(condition: _Condition, today: dt.date) -> Q:
    """The positive form from the field's handler; ne, not_in, has_none as its complement."""
    compile_positive = TYPES[condition.spec.type].compile
    positive_op = NEGATED_OPS.get(condition.op)
    if positive_op is not None:
        return ~compile_positive(condition.spec, positive_op, condition.value, today)
    return compile_positive(condition.spec, condition.op, condition.value, today)


def _conditions(node: _Condition | _Group) -> Iterator[_Condition]:
    if isinstance(node, _Condition):
        yield node
        return
    for child in node.children:
        yield from _conditions(child)


def _explain(
    node: _Condition | _Group, results: dict[str, bool], actual: dict[str, Any]
) -> dict[str, Any]:
    if isinstance(node, _Condition):
        return {
            "path": node.path,
            "field": node.spec.name,
            "op": node.op,
            "value": node.given,
            "result": results[node.path],
            "actual": actual[node.spec.name],
        }
    children = [_explain(child, results, actual) for child in node.children]
    outcomes = [child["result"] for child in children]
    if node.kind == "all":
        result = all(outcomes)
    elif node.kind == "any":
        result = any(outcomes)
    else:
        result = not outcomes[0]
    return {"path": node.path, "group": node.kind, "result": result, "children": children}


def _json_ready(value: Any) -> Any:
    """A value as JSON can carry it: numbers, ISO dates (local time), codes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool | list | dict):
        return str(value)
    return value

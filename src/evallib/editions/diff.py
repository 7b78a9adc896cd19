"""What changed between two editions: the headline numbers of each pilot, old against new, and why.

Pure functions on plain data (results documents as read from ``build/results/<pilot>.json`` and
edition snapshots as :mod:`evallib.editions.store` writes them); nothing here reads a file.

**Headline numbers** are the values a reader of the summary, the scorecard and the decision note
sees: the verdict and its probability, the effect estimates with their intervals, the costs and
the reach (:data:`ITEMS`), plus every other number or yes/no value in the ``headline``,
``scorecard`` and ``decision`` sections of the results document (so that a key added to those
sections later is still compared; it is shown under its key). The ``reach`` and ``cost``
sections repeat the scorecard's numbers; their own are declared items.

**Moved** means moved *as printed*: two values are compared after rounding to the precision the
book prints them with (:func:`display_key`), so a change in the twelfth decimal is not a revision.

**Suppressed values stay suppressed.** A value that is ``None`` in an edition (a count below the
disclosure threshold, or a number that could not be estimated) is reported as "suppressed" / "not
available" and no difference is ever computed with it (:class:`Change` ``delta`` is None), so no
difference between editions can recover a suppressed count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ITEMS", "SCANNED", "Change", "Item", "PilotChanges", "Reasons", "compare_editions", "compare_pilot",
           "display_key", "flatten_params", "headline_values"]

# kinds of values: how they are printed and compared
EFFECT = "effect"  # a difference of shares (printed in percentage points, one decimal)
PROB = "prob"  # a probability (printed as a whole percentage, never a certain 0% or 100%)
SHARE = "share"  # a share (printed as a whole percentage)
EUR = "eur"  # an amount in whole euros
COUNT = "count"  # a count of people (None = suppressed below the disclosure threshold)
NUMBER = "number"  # any other number (printed with one decimal, compared at three)
PERSONS = "persons"  # an estimated number of people (not a count: one decimal)
PVALUE = "pvalue"  # a p-value (three decimals, "< 0,001" below that)
CATEGORY = "category"  # a word (verdict, reliability, outcome)
FLAG = "flag"  # yes/no (a decision check passed)

NUMERIC = (EFFECT, PROB, SHARE, EUR, COUNT, NUMBER, PERSONS, PVALUE)


@dataclass(frozen=True)
class Item:
    """A declared headline number: ``path`` into the document's ``results``, its kind, and the
    catalogue key of its name (``src/evallib/catalogue/editions.yaml``)."""

    key: str
    path: tuple
    kind: str
    label: str


def _interval(key: str, label: str) -> list[Item]:
    """A scorecard effect with its 95% interval: three items."""
    return [Item(key, ("scorecard", key, "estimate"), EFFECT, label),
            Item(f"{key}.ci_low", ("scorecard", key, "ci_low"), EFFECT, label + "_low"),
            Item(f"{key}.ci_high", ("scorecard", key, "ci_high"), EFFECT, label + "_high")]


ITEMS: tuple[Item, ...] = (
    Item("verdict", ("decision", "verdict"), CATEGORY, "ed_item_verdict"),
    Item("probability", ("decision", "probability"), PROB, "ed_item_probability"),
    Item("outcome", ("scorecard", "outcome_work"), CATEGORY, "ed_item_outcome"),
    *_interval("work_12m", "ed_item_effect_horizon"),
    *_interval("work_overall", "ed_item_effect_overall"),
    *_interval("step_up", "ed_item_step_up"),
    Item("mde", ("scorecard", "mde"), EFFECT, "ed_item_mde"),
    Item("reliability", ("scorecard", "inference", "label"), CATEGORY, "ed_item_reliability"),
    Item("p_crv1", ("scorecard", "inference", "p_crv1"), PVALUE, "ed_item_p_crv1"),
    Item("p_wild", ("scorecard", "inference", "p_wild"), PVALUE, "ed_item_p_wild"),
    Item("p_ri", ("scorecard", "inference", "p_ri"), PVALUE, "ed_item_p_ri"),
    Item("pretrend", ("scorecard", "pretrend", "p_value"), PVALUE, "ed_item_pretrend"),
    Item("observed", ("scorecard", "work_12m", "n_persons_pilot"), COUNT, "ed_item_observed"),
    Item("twfe", ("headline_assessment", "estimate"), EFFECT, "ed_item_twfe"),
    Item("twfe.ci_low", ("headline_assessment", "conf_int", 0), EFFECT, "ed_item_twfe_low"),
    Item("twfe.ci_high", ("headline_assessment", "conf_int", 1), EFFECT, "ed_item_twfe_high"),
    Item("cost.per_additional", ("scorecard", "cost", "per_additional_in_work_eur"), EUR, "ed_item_cost_additional"),
    Item("cost.per_additional.ci_low", ("scorecard", "cost", "per_additional_ci_low"), EUR,
         "ed_item_cost_additional_low"),
    Item("cost.per_additional.ci_high", ("scorecard", "cost", "per_additional_ci_high"), EUR,
         "ed_item_cost_additional_high"),
    Item("cost.per_participant", ("scorecard", "cost", "per_participant_eur"), EUR, "ed_item_cost_participant"),
    Item("cost.total", ("cost", "total_cost_eur"), EUR, "ed_item_cost_total"),
    Item("reach.participants", ("reach", "participants"), COUNT, "ed_item_participants"),
    Item("reach.in_outcome", ("reach", "in_outcome_at_horizon"), COUNT, "ed_item_in_outcome"),
    Item("reach.additional", ("reach", "additional"), PERSONS, "ed_item_additional"),
    Item("reach.additional.ci_low", ("reach", "additional_ci", 0), PERSONS, "ed_item_additional_low"),
    Item("reach.additional.ci_high", ("reach", "additional_ci", 1), PERSONS, "ed_item_additional_high"),
    Item("reach.target", ("reach", "target"), NUMBER, "ed_item_target"),
    Item("reach.share_of_target", ("reach", "share_of_target"), SHARE, "ed_item_share_of_target"),
)

# sections whose other numbers are compared too (``reach`` and ``cost`` repeat the scorecard's:
# their own headline numbers are declared above) (book-level headline values live there)
SCANNED = ("headline", "scorecard", "decision")
# keys below those sections that hold settings, texts or estimator internals, not headline numbers
_SKIP = {"spec", "notes", "note", "reason", "definition", "rules", "absences", "table", "ri", "wild", "kind",
         "estimator", "notes_text", "label", "std_error", "statistic", "p_value_f", "df"}
# the same number twice (scorecard participants = reach participants; a decision check's value and
# limit are the headline values and params it tests: only whether it passed is its own)
_DUPLICATES = {("scorecard", "participants")}
_CHECK_OWN = ("passed",)
_MISSING = object()  # the key does not exist in the document (not the same as None: suppressed)


def _get(results: Mapping, path: tuple) -> Any:
    node: Any = results
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        else:
            if not isinstance(node, Mapping) or step not in node:
                return _MISSING
            node = node[step]
    return node


def _leaves(node: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    """Numbers, yes/no values and None under ``node``; list items with a ``name`` are keyed by it."""
    if isinstance(node, Mapping):
        for k in sorted(node):
            if k not in _SKIP:
                yield from _leaves(node[k], (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            key = v.get("name") if isinstance(v, Mapping) and isinstance(v.get("name"), str) else i
            yield from _leaves(v, (*path, key))
    elif node is None or isinstance(node, bool | int | float):
        yield path, node


_COUNT_WORDS = {"n", "count", "persons", "participants", "n_persons", "in_outcome_at_horizon", "observed_at_horizon"}
_NOT_PEOPLE = ("cluster", "boot", "draw", "assign", "df", "month", "period")


def _is_people_count(key: str) -> bool:
    """A key that holds a count of people (None there means suppressed), as the results use them."""
    k = key.lower()
    if any(w in k for w in _NOT_PEOPLE):
        return False
    return k in _COUNT_WORDS or k.startswith("n_") or k.endswith(("_count", "_persons"))


def _generic_kind(path: tuple, value: Any) -> str:
    if isinstance(value, bool):
        return FLAG
    names = [str(p) for p in path if isinstance(p, str)]
    last = names[-1] if names else ""
    if any(_is_people_count(n) for n in names):
        return COUNT
    if "eur" in last.split("_"):
        return EUR
    return NUMBER


DEFAULT_THRESHOLD = 10  # as evallib.disclosure; the snapshot carries each pilot's own


def _safe(item: Item, value: Any, threshold: int) -> Any:
    """A count of people below the disclosure threshold is never shown, even where a results file
    carries one: it becomes None (suppressed), like the counts suppressed at the source."""
    if item.kind == COUNT and isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < threshold:
        return None
    return value


def headline_values(document: Mapping | None, threshold: int = DEFAULT_THRESHOLD) -> dict[str, tuple[Item, Any]]:
    """The headline values of one results document: key → (item, value). A value is a number, a
    word, True/False, or None (suppressed or not available); keys absent from the document are
    left out. Declared items (:data:`ITEMS`) keep their catalogue names; other numbers of the
    :data:`SCANNED` sections get an item whose ``label`` is empty and whose key is their path."""
    results = (document or {}).get("results", document or {})
    out: dict[str, tuple[Item, Any]] = {}
    declared = set()
    for item in ITEMS:
        declared.add(item.path)
        value = _get(results, item.path)
        if value is not _MISSING:
            out[item.key] = (item, _safe(item, value, threshold))
    for section in SCANNED:
        node = results.get(section) if isinstance(results, Mapping) else None
        if node is None:
            continue
        for path, value in _leaves(node, (section,)):
            if path in declared or path in _DUPLICATES:
                continue
            if "checks" in path[:-1] and path[-1] not in _CHECK_OWN:
                continue
            key = ".".join(str(p) for p in path)
            item = Item(key, path, _generic_kind(path, value), "")
            out[key] = (item, _safe(item, value, threshold))
    return out


def display_key(kind: str, value: Any) -> Any:
    """``value`` at the precision the book prints it with; two values that print alike are equal."""
    if value is None or kind in (CATEGORY, FLAG) or isinstance(value, bool):
        return value
    if not isinstance(value, int | float) or value != value:
        return None
    if kind == EFFECT:
        return round(value * 100, 1)
    if kind == PROB:  # as report.format.fmt_prob prints it
        return ">99" if value > 0.99 else "<1" if value < 0.01 else round(value * 100)
    if kind == SHARE:
        return round(value * 100)
    if kind in (EUR, COUNT):
        return round(value)
    if kind == PERSONS:
        return round(value, 1)
    if kind == PVALUE and value < 0.001:
        return "<0.001"
    return round(value, 3)


@dataclass(frozen=True)
class Change:
    """One headline value that differs between two editions.

    ``status``: ``moved`` (both numbers, ``delta`` = new − old), ``changed`` (a word or a yes/no
    value), ``hidden`` (None in one edition: suppressed or not available; no delta), ``added`` /
    ``removed`` (the value exists in one edition only)."""

    item: Item
    old: Any
    new: Any
    status: str
    delta: float | None = None


@dataclass(frozen=True)
class Reasons:
    """Why a pilot's numbers may have moved: data fingerprints, params keys, code."""

    data: tuple[str | None, str | None] | None = None  # (old sha256, new sha256) when they differ
    params_keys: tuple[str, ...] = ()
    code: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # what → (old, new)

    @property
    def any(self) -> bool:
        return bool(self.data or self.params_keys or self.code)


@dataclass(frozen=True)
class PilotChanges:
    pilot: str
    status: str  # "compared", "new" (no previous results), "removed" (no results now)
    changes: tuple[Change, ...]
    reasons: Reasons


def compare_pilot(old: Mapping | None, new: Mapping | None, threshold: int = DEFAULT_THRESHOLD) -> list[Change]:
    """Every headline value of one pilot that differs between the ``old`` and ``new`` results
    (counts of people below ``threshold``, the disclosure threshold, count as suppressed)."""
    before, after = headline_values(old, threshold), headline_values(new, threshold)
    out = []
    for key in list(after) + [k for k in before if k not in after]:
        item = (after.get(key) or before[key])[0]
        if key not in before:
            if after[key][1] is not None:
                out.append(Change(item, None, after[key][1], "added"))
            continue
        if key not in after:
            if before[key][1] is not None:
                out.append(Change(item, before[key][1], None, "removed"))
            continue
        a, b = before[key][1], after[key][1]
        if display_key(item.kind, a) == display_key(item.kind, b):
            continue
        if a is None or b is None:
            out.append(Change(item, a, b, "hidden"))  # suppressed/not available on one side: no delta
        elif item.kind in NUMERIC and not isinstance(a, bool | str) and not isinstance(b, bool | str):
            out.append(Change(item, a, b, "moved", b - a))
        else:
            out.append(Change(item, a, b, "changed"))
    return out


def flatten_params(params: Any, prefix: str = "") -> dict[str, Any]:
    """A params document as dotted keys → values (lists are values)."""
    if not isinstance(params, Mapping):
        return {prefix: params} if prefix else {}
    out: dict[str, Any] = {}
    for k, v in params.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(flatten_params(v, key))
        else:
            out[key] = v
    return out


def _params_keys(old: Any, new: Any) -> tuple[str, ...]:
    a, b = flatten_params(old or {}), flatten_params(new or {})
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k, _MISSING) != b.get(k, _MISSING)))


_CODE_KEYS = ("evallib_version", "source_sha256", "git_commit")


def _code_changes(old: Mapping, new: Mapping) -> dict[str, tuple[Any, Any]]:
    return {k: (old.get(k), new.get(k)) for k in _CODE_KEYS if old.get(k) != new.get(k)}


def compare_editions(old: Mapping | None, new: Mapping) -> list[PilotChanges]:
    """Compare two edition snapshots (``{"code": {...}, "pilots": {pilot: {"data_sha256",
    "params", "results"}}}``); one :class:`PilotChanges` per pilot of either edition, in the
    order of the new edition, then pilots no longer published. ``old`` None: first edition."""
    old_pilots = (old or {}).get("pilots", {})
    new_pilots = new.get("pilots", {})
    code = _code_changes((old or {}).get("code", {}), new.get("code", {})) if old else {}
    out = []
    for pilot in list(new_pilots) + [p for p in old_pilots if p not in new_pilots]:
        before, after = old_pilots.get(pilot), new_pilots.get(pilot)
        status = "compared" if before and after else ("new" if after else "removed")
        data = None
        if before and after and before.get("data_sha256") != after.get("data_sha256"):
            data = (before.get("data_sha256"), after.get("data_sha256"))
        keys = _params_keys(before.get("params"), after.get("params")) if before and after else ()
        threshold = max((e or {}).get("disclosure_threshold") or DEFAULT_THRESHOLD for e in (before, after))
        changes = (compare_pilot(before.get("results"), after.get("results"), threshold)
                   if status == "compared" else [])
        out.append(PilotChanges(pilot, status, tuple(changes), Reasons(data, keys, code)))
    return out

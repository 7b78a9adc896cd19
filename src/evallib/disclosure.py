"""Statistical disclosure control for every published table and figure.

Counts below the disclosure threshold (``disclosure_threshold`` in params, default 10) are never
published. :func:`suppress_counts` applies *primary* suppression (every count from 1 to
threshold - 1) and *secondary* suppression: when a row or column of a table has exactly one
suppressed cell, its total (which readers can compute from the published cells) would reveal it,
so the smallest other count in that row or column is suppressed too, repeated until no row or
column has a lone suppressed cell. Zero counts are published (they disclose nothing about a
person). The rule is the one the UK data labs and Statbel apply to small cells; no maintained
Python package implements secondary suppression for small frequency tables (sdcMicro is R-only),
so it is written here and tested in ``tests/unit/disclosure/test_disclosure.py``.

Suppression holds against arithmetic on the *set* of numbers published about the same people
(``tests/e2e/test_disclosure_recovery.py`` tries to undo it), by four rules:

1. **Primary**: every count of people ``0 < n < threshold`` is suppressed, in tables, sentences
   and the results file (every count key, the ``*_at_horizon`` keys included).
2. **Differences** (complementary suppression of totals): when a part and its total are both
   published and ``0 < total - part < threshold``, the part is suppressed (:func:`safe_part`),
   so "of the 12 participants, 10 were in work" never reveals the 2 who were not; in a table,
   a row or column with one suppressed cell has a second one suppressed (:func:`suppress_counts`).
3. **Products** (complementary suppression of percentages): a percentage whose base is
   published is shown only when neither ``share x base`` nor ``(1 - share) x base`` is a small
   count (:func:`safe_share`).
4. **Small groups**: a percentage of a group below the threshold (or whose size is suppressed)
   is never shown.
5. **Derived from a hidden count**: when the number of participants is suppressed, so is every
   number computed from it (cost per participant, since total / cost per participant gives it
   back; additional persons and the cost per additional person, since they are the effect
   times it).

:func:`publishable_results` applies rules 1-4 to a results document once, before it is
validated and written (``build/results/<pilot>.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SuppressedTable", "publishable_results", "safe_count", "safe_part", "safe_share", "suppress_counts",
           "suppress_in_results"]

DEFAULT_THRESHOLD = 10


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A count table after suppression. ``values`` has NaN where a cell is suppressed."""

    values: pd.DataFrame
    mask: pd.DataFrame  # True = suppressed
    threshold: int

    def formatted(self, fmt=lambda v: f"{int(v)}", suppressed: str | None = None) -> pd.DataFrame:
        """Strings for publication: suppressed cells show ``<threshold``."""
        mark = suppressed or f"<{self.threshold}"
        return self.values.apply(lambda col: col.map(lambda v: mark if pd.isna(v) else fmt(v))).where(
            ~self.mask, mark)


def suppress_counts(table, threshold: int = DEFAULT_THRESHOLD, *, secondary: bool = True) -> SuppressedTable:
    """Suppress small counts in a table (DataFrame, Series or 2-D array) of non-negative counts.

    Parameters
    ----------
    table
        Counts (weighted counts are treated as counts of people).
    threshold
        Cells with ``0 < count < threshold`` are suppressed.
    secondary
        Also suppress a second cell in any row or column with a single suppressed cell, so that
        row and column totals cannot reveal it.
    """
    if threshold < 1:
        raise ValueError("threshold must be a positive integer")
    if isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        arr = np.asarray(table, dtype=float)
        frame = pd.DataFrame(arr if arr.ndim == 2 else arr.reshape(-1, 1))
    values = frame.astype(float)
    if (values.fillna(0) < 0).any().any():
        raise ValueError("counts must be non-negative")
    v = values.to_numpy()
    mask = (v > 0) & (v < threshold)
    if secondary and mask.any():
        mask = _secondary(v, mask)
    out = values.mask(mask)
    return SuppressedTable(values=out, mask=pd.DataFrame(mask, index=frame.index, columns=frame.columns),
                           threshold=threshold)


def _secondary(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    mask = mask.copy()
    changed = True
    while changed:
        changed = False
        for axis in (1, 0):  # rows, then columns
            m = mask if axis == 1 else mask.T
            vals = v if axis == 1 else v.T
            for i in range(m.shape[0]):
                # a line with one suppressed cell and a publishable total: suppress the next-smallest
                if m[i].sum() == 1 and m.shape[1] > 1:
                    candidates = np.where(~m[i] & (vals[i] > 0), vals[i], np.inf)
                    if np.isfinite(candidates).any():
                        m[i, int(np.argmin(candidates))] = True
                        changed = True
            mask = m if axis == 1 else m.T
    return mask


_COUNT_KEYS = {"n", "count", "counts", "persons", "episodes", "events", "at_risk", "participants",
               "n_obs", "weight_sum"}
# counts of things that are not people (areas, draws, parameters, periods) are not disclosive
_NOT_PEOPLE = ("cluster", "boot", "draw", "assign", "threshold", "lead", "lag", "period", "month",
               "state", "cohort", "param", "df", "restriction", "clipped", "target")
# counts of people whose key does not say so by its form
_COUNT_WORDS = ("_at_horizon", "participants")


# counts of people whose key holds a word of _NOT_PEOPLE (the people counted against a target)
_PEOPLE_KEYS = ("target_reached",)


def _is_count_key(key: str) -> bool:
    k = key.lower()
    if k in _PEOPLE_KEYS:
        return True
    if any(word in k for word in _NOT_PEOPLE):
        return False
    return (k in _COUNT_KEYS or k.startswith("n_") or k.endswith(("_n", "_count", "_counts", "_persons"))
            or any(word in k for word in _COUNT_WORDS))


def suppress_in_results(obj, threshold: int = DEFAULT_THRESHOLD, *, _count: bool = False):
    """A copy of a JSON-like results tree with every count of people below ``threshold`` set to None.

    A value counts as a count of people when its key (or an enclosing key, for lists and
    matrices) is a count key: ``n``, ``count``, ``counts``, ``persons``, ``n_*``, ``*_count`` …,
    except keys about clusters, bootstrap draws, periods, thresholds and the like. Used for the
    results files (``build/results/<pilot>.json``), which leave the analysis room.
    """
    if isinstance(obj, dict):
        return {k: suppress_in_results(v, threshold, _count=_count or _is_count_key(str(k)))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [suppress_in_results(v, threshold, _count=_count) for v in obj]
    if _count and isinstance(obj, int | float) and not isinstance(obj, bool) and 0 < obj < threshold:
        return None
    return obj


def safe_count(n: float, threshold: int = DEFAULT_THRESHOLD) -> int | None:
    """A single count for publication: None (suppressed) when ``0 < n < threshold``."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return None
    return None if 0 < n < threshold else int(round(n))


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def safe_part(part, total, threshold: int = DEFAULT_THRESHOLD):
    """A count ``part`` of a published ``total`` (e.g. participants in work of all participants),
    for publication: None when ``part`` is small, or when ``total - part`` is (rule 2). A
    suppressed or absent total leaves only rule 1."""
    n = safe_count(part, threshold)
    if n is None or _missing(total):
        return n
    return None if 0 < round(float(total)) - n < threshold else n


def safe_share(share, base, threshold: int = DEFAULT_THRESHOLD, *, complement: bool = True):
    """A share (0-1) of a group of ``base`` people whose size is published, for publication:
    None when the group is below the threshold or its size is suppressed (rule 4), or when
    ``share x base`` (or, with ``complement``, ``(1 - share) x base``) is a small count (rule 3)."""
    if _missing(share):
        return None
    if _missing(base) or 0 < float(base) < threshold:
        return None
    k = round(float(share) * float(base))
    if 0 < k < threshold or (complement and 0 < round(float(base)) - k < threshold):
        return None
    return share


# parts and totals published together in one record of the results file (rule 2): part <= total
_NESTED = (("in_outcome_at_horizon", "observed_at_horizon"), ("in_outcome_at_horizon", "participants"),
           ("observed_at_horizon", "participants"), ("n_relapsed", "n_eligible"),
           ("n_censored", "n_entries"), ("n_eligible", "n_entries"), ("n_events", "n"),
           ("n_events", "n_at_risk"),
           # ladder.reach (ladder_reach): participants who moved up of those followed, after/before entry
           ("n_pilot_moved", "n_pilot"), ("n_pilot_before_moved", "n_pilot_before"), ("n_moved", "n_people"))
# shares and their base in one record (rule 3); share_of_target's base is the published target
_SHARES = (("share_of_target", "target", "participants"), ("p_relapse", "n_eligible", "n_relapsed"),
           ("pilot_after", "n_pilot", "n_pilot_moved"), ("pilot_before", "n_pilot_before", "n_pilot_before_moved"),
           ("share", "n_people", "n_moved"))
# ladder.reach: estimate = (pilot_after - comparison_after) - (pilot_before - comparison_before) and
# counterfactual = pilot_after - estimate are published, so one hidden participants' share is
# given back by the others: hidden together (and the same shares in the record's table rows)
_LINKED = ("pilot_after", "pilot_before", "counterfactual")
_LINKED_ROWS = ("pilot_after", "pilot_before")
# numbers computed from the number of participants (rule 5): hidden with it, everywhere in the
# document (cost per participant: total / n gives n back; additional persons = effect x n)
_BASES = ("participants", "n_participants")
_FROM_BASE = ("per_participant_eur", "per_additional_eur", "per_additional_in_work_eur", "per_additional_ci_low",
              "per_additional_ci_high", "additional_persons", "additional_persons_ci", "additional",
              "additional_ci", "share_of_target")
_BASE_CHECKS = ("cost", "target")  # decision checks whose value is computed from the participants
# tables whose rows partition the same people per ``by`` (rule 2 across rows): column, by
_PARTITIONS = (("n_pilot", "variable"), ("n_comparison", "variable"))


def _num(v) -> float | None:
    """A published number (None: suppressed, absent or not a number)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or _missing(v):
        return None
    return float(v)


def _hide_from_base(rec: dict) -> dict:
    out = dict(rec)
    for k in _FROM_BASE:
        if isinstance(out.get(k), list):
            out[k] = [None] * len(out[k])
        elif k in out:
            out[k] = None
    return out


def _base_hidden(obj) -> bool:
    if isinstance(obj, dict):
        return any(k in obj and obj[k] is None for k in _BASES) or any(_base_hidden(v) for v in obj.values())
    return isinstance(obj, list) and any(_base_hidden(v) for v in obj)


def _hide_everywhere(obj):
    """Every number computed from the number of participants, anywhere in ``obj`` (rule 5),
    including the decision checks on the cost per additional person and the share of the target."""
    if isinstance(obj, dict):
        out = _hide_from_base({k: _hide_everywhere(v) for k, v in obj.items()})
        if out.get("name") in _BASE_CHECKS and "value" in out:
            out["value"] = None
        return out
    if isinstance(obj, list):
        return [_hide_everywhere(v) for v in obj]
    return obj


def _complementary(rec: dict, threshold: int) -> dict:
    rec = dict(rec)
    changed = True
    while changed:
        changed = False
        if any(k in rec and rec[k] is None for k in _LINKED) and any(rec.get(k) is not None for k in _LINKED):
            rec.update({k: None for k in _LINKED if k in rec})
            if isinstance(rec.get("table"), list):
                rec["table"] = [{**r, "share": None} if isinstance(r, dict) and r.get("series") in _LINKED_ROWS
                                else r for r in rec["table"]]
            changed = True
        for part, total in _NESTED:
            p, t = _num(rec.get(part)), _num(rec.get(total))
            if p is not None and t is not None and 0 < round(t) - round(p) < threshold:
                rec[part] = None  # the difference would reveal a small count
                changed = True
        for share, _base, count in _SHARES:
            if share == "share_of_target" and rec.get("target_counts") == "primary_outcome":
                count = "in_outcome_at_horizon"  # the target counts people in the outcome
            if share in rec and _num(rec[share]) is not None and count in rec and rec[count] is None:
                rec[share] = None  # the suppressed count = share x published base
                changed = True
    return rec


def _partition(rows: list, threshold: int) -> list:
    """Rows of one table whose counts (per ``by``) sum to a published total: a lone suppressed
    count in a group is joined by the next-smallest (rule 2)."""
    if not rows or not all(isinstance(r, dict) for r in rows):
        return rows
    rows = [dict(r) for r in rows]
    for col, by in _PARTITIONS:
        groups: dict = {}
        for i, r in enumerate(rows):
            if col in r and by in r:
                groups.setdefault(str(r[by]), []).append(i)
        for idx in groups.values():
            while True:
                hidden = [i for i in idx if rows[i][col] is None]
                shown = [i for i in idx if (_num(rows[i][col]) or 0) > 0]
                if len(hidden) != 1 or not shown:
                    break
                rows[min(shown, key=lambda i: rows[i][col])][col] = None
    return rows


def _arithmetic(obj, threshold: int, bases: dict):
    if isinstance(obj, dict):
        rec = {k: (safe_share(v, bases[k], threshold) if k in bases and isinstance(v, int | float)
                   and not isinstance(v, bool) else _arithmetic(v, threshold, bases)) for k, v in obj.items()}
        return _complementary(rec, threshold)
    if isinstance(obj, list):
        return _partition([_arithmetic(v, threshold, bases) for v in obj], threshold)
    return obj


def publishable_results(doc, threshold: int = DEFAULT_THRESHOLD, *, bases=None):
    """A results document as it may leave the analysis: every count of people below
    ``threshold`` suppressed (rule 1, :func:`suppress_in_results`), then the parts, shares and
    partitions that would reveal a suppressed count by a difference or a product (rules 2-5).

    ``bases`` maps a share key to the size of its group as published elsewhere (e.g.
    ``{"comparison_in_pilot_areas": <comparison persons>}``, shown in the design table); every
    value under that key goes through :func:`safe_share`. Applied once, by
    :func:`evallib.results.store.write_results`."""
    bases = dict(bases or {})
    prev = None
    out = suppress_in_results(doc, threshold)
    for _ in range(50):  # a suppression may expose another: repeat until nothing changes
        if out == prev:
            break
        prev, out = out, _arithmetic(out, threshold, bases)
    out = _hide_everywhere(out) if _base_hidden(out) else out
    return _hide_target_outcome(out) if _target_count_hidden(out) else out


def _target_count_hidden(obj) -> bool:
    """A target that counts people in the outcome whose count is hidden (rule 3: the share of
    the target times the published target would give it back)."""
    if isinstance(obj, dict):
        if obj.get("target_counts") == "primary_outcome" and any(
                k in obj and obj[k] is None for k in ("in_outcome_at_horizon", "target_reached")):
            return True
        return any(_target_count_hidden(v) for v in obj.values())
    return isinstance(obj, list) and any(_target_count_hidden(v) for v in obj)


def _hide_target_outcome(obj):
    """Every share of the target computed from a hidden count of people in the outcome, and that
    count wherever else it is recorded: ``share_of_target``, ``target_reached`` and the decision's
    ``target_outcome`` check value."""
    if isinstance(obj, dict):
        out = {k: _hide_target_outcome(v) for k, v in obj.items()}
        if out.get("target_counts") == "primary_outcome":
            for k in ("share_of_target", "target_reached"):  # target_reached: the same people
                if k in out:
                    out[k] = None
        if out.get("name") == "target_outcome" and "value" in out:
            out["value"] = None
        return out
    if isinstance(obj, list):
        return [_hide_target_outcome(v) for v in obj]
    return obj

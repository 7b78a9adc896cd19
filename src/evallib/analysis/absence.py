"""Explained absences: an analysis that cannot be estimated on these data is recorded, not lost.

Every panel that `evallib.data.load_panel` accepts gives a complete chapter. An analysis whose
preconditions do not hold (a step nobody reaches, a single entry cohort, no comparison person
observed throughout, no subgroup columns, a horizon beyond the data, ...) becomes an
:class:`Absent` with a reason code and the reason in Dutch and English (the texts are the
``absent_<code>`` labels of ``evallib/catalogue/absence.yaml``). It is written to the results
JSON as ``{"available": false, "reason_code": ..., "reason": {"nl": ..., "en": ...}}`` and shown
in the book in the analysis's place.

:func:`attempt` checks the preconditions explicitly before estimating. Besides those, it turns
*declared* signals of infeasibility into an absence: :class:`evallib.errors.EstimationError`
(which estimators raise for data they cannot estimate on), pyfixest's "All variables are
collinear" and numpy's ``LinAlgError`` (a singular system: the data cannot separate what is
estimated). Every other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, TypeVar

import numpy as np
import yaml

from evallib.errors import EstimationError

__all__ = ["Absent", "Check", "absence_reason", "attempt", "available", "is_absent", "need", "needs", "reason_codes"]

T = TypeVar("T")
LANGS = ("nl", "en")
_COLLINEAR = "All variables are collinear"


@cache
def _texts() -> dict[str, dict[str, str]]:
    text = files("evallib").joinpath("catalogue", "absence.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def reason_codes() -> list[str]:
    """Every reason code with a text in the catalogue."""
    return sorted(k.removeprefix("absent_") for k in _texts() if k.startswith("absent_")
                  and k != "absent_note")


def absence_reason(code: str, lang: str, **fields: Any) -> str:
    """The reason ``code`` in ``lang`` (``absent_<code>`` of ``catalogue/absence.yaml``)."""
    try:
        text = _texts()[f"absent_{code}"][lang]
    except KeyError:
        raise KeyError(f"no reason text 'absent_{code}' ({lang}) in catalogue/absence.yaml") from None
    return text.format(**fields) if fields else text


@dataclass(frozen=True)
class Absent:
    """An analysis that cannot be estimated on these data: ``what`` (the analysis), the
    ``reason_code`` and the ``fields`` of its reason text (``absent_<code>`` in the catalogue)."""

    what: str
    reason_code: str
    fields: dict[str, Any] = field(default_factory=dict)
    available = False

    def __post_init__(self) -> None:
        absence_reason(self.reason_code, "nl", **self.fields)  # a reason without text is a bug

    def reason(self, lang: str = "nl") -> str:
        return absence_reason(self.reason_code, lang, **self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {"available": False, "what": self.what, "reason_code": self.reason_code,
                "reason": {lang: self.reason(lang) for lang in LANGS}}

    def tidy(self, alpha: float = 0.05) -> None:  # results protocol: nothing to tidy
        return None

    def __bool__(self) -> bool:  # `if result:` reads as "is there a result"
        return False


@dataclass(frozen=True)
class Check:
    """A precondition: ``holds`` is False when the analysis cannot be estimated, for
    ``reason_code`` (with the reason text's ``fields``)."""

    holds: bool
    reason_code: str
    fields: dict[str, Any] = field(default_factory=dict)


def need(holds: Any, reason_code: str, **fields: Any) -> Check:
    """Shorthand for :class:`Check`."""
    return Check(bool(holds), reason_code, fields)


def needs(x: Any) -> Check:
    """The precondition "the input ``x`` is available": an absent input passes its reason on."""
    if isinstance(x, Absent):
        return Check(False, x.reason_code, dict(x.fields))
    return Check(True, "not_estimable")


def is_absent(x: Any) -> bool:
    return isinstance(x, Absent)


def available(x: Any) -> bool:
    """True for a result, False for None or an :class:`Absent`."""
    return x is not None and not isinstance(x, Absent)


def attempt(what: str, fn: Callable[[], T], checks: Iterable[Check | Callable[[], Check | None]] = ()) -> T | Absent:
    """``fn()``, or an :class:`Absent` for the first failing precondition in ``checks``.

    A check may be a callable (evaluated lazily, in order, so a later check may assume the
    earlier ones hold); it returns a :class:`Check` or None (nothing to check). An input that is
    itself absent (``need(available(x), "depends", ...)``) makes the analysis absent too.
    ``EstimationError`` becomes the reason code ``not_estimable``; a collinear regression or a
    singular system ``collinear``; any other exception propagates (a bug, not a property of the data).
    """
    for check in checks:
        c = check() if callable(check) else check
        if c is not None and not c.holds:
            return Absent(what, c.reason_code, dict(c.fields))
    try:
        return fn()
    except EstimationError as e:
        return Absent(what, "not_estimable", {"detail": _short(str(e))})
    except np.linalg.LinAlgError:  # a singular system: as collinear, the data cannot separate it
        return Absent(what, "collinear")
    except ValueError as e:  # (LinAlgError is a ValueError: caught above)
        if _COLLINEAR in str(e):
            return Absent(what, "collinear")
        raise


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"

"""Rendering explained absences (:class:`evallib.analysis.absence.Absent`) in the chapter.

An analysis the data do not allow is shown in its place as one plain sentence in the edition's
language: "Cannot be estimated on these data: <reason>" (labels ``absent_note`` and
``absent_cannot_judge`` of ``catalogue/absence.yaml``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from IPython.display import Markdown, display

from evallib.analysis.absence import Absent, available, is_absent
from evallib.report.labels import label

__all__ = ["absent_note", "available", "cannot_judge", "is_absent", "note_or", "show_or_note", "text_or_note"]

_MARKUP = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")


def _plain(text: str) -> str:
    """The reason as literal text in Markdown/MyST (the detail of an estimator's message may
    quote data values): HTML-escaped and every markup character backslash-escaped."""
    return _MARKUP.sub(r"\\\1", html.unescape(html.escape(text, quote=False)))


def absent_note(x: Absent, lang: str) -> str:
    """"Cannot be estimated on these data: <reason>" in ``lang`` (Markdown, literal text)."""
    return _plain(label("absent_note", lang, reason=x.reason(lang)))


def cannot_judge(x: Absent | dict, lang: str) -> str:
    """"Cannot be judged: <reason>": from an Absent or a scorecard ``absences`` entry."""
    reason = x.reason(lang) if isinstance(x, Absent) else x["reason"][lang]
    return _plain(label("absent_cannot_judge", lang, reason=reason))


def text_or_note(x: Any, lang: str, render: Callable[[Any], str]) -> str:
    """``render(x)``, or the absence note when ``x`` is an Absent."""
    return absent_note(x, lang) if is_absent(x) else render(x)


def note_or(x: Any, lang: str) -> str | None:
    """The absence note of ``x``, or None when ``x`` is a result."""
    return absent_note(x, lang) if is_absent(x) else None


def show_or_note(x: Any, lang: str, show: Callable[[Any], None]) -> None:
    """``show(x)`` (a table or figure), or the absence note in its place."""
    if is_absent(x):
        display(Markdown(absent_note(x, lang)))
    else:
        show(x)

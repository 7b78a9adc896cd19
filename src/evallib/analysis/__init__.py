"""Analysis: everything a chapter computes, between the estimators (`did`, `ladder`) and the
renderers (`report`).

* `effects` (subgroups, other outcomes, pooled step-up, relapse DiD), `costs`, `decision`;
* `balance` (baseline balance, design counts), `assumptions`, `scorecard`;
* `synthesis` (the scorecards of all pilots, the scale-up projection), `validation`
  (published results evallib reproduces);
* :func:`chapter` — a pilot's :class:`ChapterResults`; :func:`compute_pilot` — the same, cached,
  with ``build/results/<pilot>.json`` written.
"""

from evallib.analysis.chapter import ChapterResults, chapter
from evallib.analysis.compute import compute_pilot

__all__ = ["ChapterResults", "chapter", "compute_pilot"]

"""Renderers: tables, figures (with alt text) and sentences, in Dutch or English.

Everything here turns finished results (`evallib.analysis`) into something a reader sees; no
estimation, no panel loading happens here. Numbers are formatted by :mod:`evallib.report.format`,
words come from the catalogue (:mod:`evallib.report.labels`).
"""

import matplotlib

from evallib.report.format import fmt_eur, fmt_int, fmt_num, fmt_p, fmt_pct, fmt_pp, p_eq
from evallib.report.labels import label

# figures are written to PNG by show_figure; no window, no inline double display
matplotlib.use("Agg", force=False)

__all__ = ["fmt_eur", "fmt_int", "fmt_num", "fmt_p", "fmt_pct", "fmt_pp", "label", "p_eq"]

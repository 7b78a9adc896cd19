"""Renderers: tables, figures (with alt text) and sentences, in Dutch or English.

Everything here turns finished results into something a reader sees; no estimation happens here.
"""

from evallib.report.labels import fmt_eur, fmt_int, fmt_num, fmt_pct, fmt_pp, label

__all__ = ["fmt_eur", "fmt_int", "fmt_num", "fmt_pct", "fmt_pp", "label"]

"""The book's frame in report.show: tables as cards on a phone, and the demo watermark."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evallib.report.show import table_cards, watermark_png  # noqa: E402

CARD = re.compile(r'<section class="evallib-card"><h4>(.*?)</h4><dl>(.*?)</dl></section>')


def _cards(html: str) -> list[tuple[str, list[str]]]:
    return [(title, re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", body)) for title, body in CARD.findall(html)]


def test_scorecard_becomes_one_card_per_pilot():
    table = pd.DataFrame({"Indicator": ["Effect", "Waarom"], "Gent": ["+8,7", "a <b>"], "Westhoek": ["+8,6", "c"]})
    cards = _cards(table_cards(table, "columns"))
    assert cards == [("Gent", [("Effect", "+8,7"), ("Waarom", "a &lt;b&gt;")]),
                     ("Westhoek", [("Effect", "+8,6"), ("Waarom", "c")])]


def test_rows_become_cards_titled_by_their_first_cell():
    table = pd.DataFrame({"Pilot": ["Gent", "Westhoek"], "Advies": ["opschalen", "stoppen"]})
    assert _cards(table_cards(table, "rows")) == [("Gent", [("Advies", "opschalen")]),
                                                  ("Westhoek", [("Advies", "stoppen")])]
    with pytest.raises(ValueError):
        table_cards(table, "diagonal")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def test_watermark_keeps_the_size_and_marks_the_middle_of_the_figure():
    fig = plt.figure(figsize=(6, 3))
    fig.patch.set_facecolor("white")
    plain = _png(fig)
    marked = watermark_png(plain, "DEMO – gesimuleerde gegevens")
    a = plt.imread(io.BytesIO(plain), format="png")
    b = plt.imread(io.BytesIO(marked), format="png")
    assert a.shape[:2] == b.shape[:2] == (300, 600)
    centre = (slice(100, 200), slice(150, 450))
    assert np.allclose(a[centre][..., :3], 1.0)  # the plain figure is white there
    changed = np.abs(b[..., :3] - a[..., :3]).max(axis=2) > 0.02
    assert changed[centre].mean() > 0.02  # the mark is drawn across the middle
    assert changed[:10, :10].mean() == 0  # the corners are untouched

"""The audit of issue 14 (tests/e2e/book_audit.py) on the demo project's two editions, built side
by side (the session's demo book and its English edition, shared with test_browser_frame.py):
demo banner, language switch, placeholders, raw markup, Dutch number formats and words, minus
signs, € spacing, alt texts, unique titles, prev/next within a pilot, and the pages and contents
issue 14 asks for (natural frequencies, can/cannot-say boxes, publication metadata, cost rule
with its probability, downloads, references, rerun, validation appendix in the reader's
language). It reads the HTML only, so it costs seconds once the books exist."""

from __future__ import annotations

import pytest
from book_audit import audit, content_checks
from e2e_support import demo_editions

pytestmark = pytest.mark.slow


def test_both_demo_editions_pass_the_book_audit(tmp_path_factory):
    editions = demo_editions(tmp_path_factory)
    build = editions["nl"].parent
    assert (build / "html-en").resolve() == editions["en"].resolve()
    fails, checked = audit(build)
    fails.update(content_checks(build))
    assert checked["pages"] >= 2 * 20, checked  # both editions, every page of the book
    report = "\n".join(f"{name}: {items[:5]}" for name, items in sorted(fails.items()))
    assert not fails, report

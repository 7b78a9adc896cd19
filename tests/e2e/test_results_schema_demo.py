"""The demo run's results files match the results schema (evallib.results.schema), scorecard included."""

from __future__ import annotations

import json

import pytest
from e2e_support import PILOTS, demo_book, project_of

from evallib.results.schema import validate_results, validate_scorecard

pytestmark = pytest.mark.slow


def test_demo_results_validate_against_the_schema(tmp_path_factory):
    project = project_of(demo_book(tmp_path_factory, "nl"))  # the session's demo book (built once)
    for p in PILOTS:
        path = project / "build" / "results" / f"{p}.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        validate_results(doc, source=str(path))
        validate_scorecard(doc["results"]["scorecard"], source=str(path))
        assert doc["results"]["settings"]["horizon"] == doc["results"]["scorecard"]["work_12m"]["horizon_months"]

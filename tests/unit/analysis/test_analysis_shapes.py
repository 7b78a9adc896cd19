"""Every panel that validates gives a complete chapter (issue 12): valid but awkward panels from
a seeded generator (analysis_shapes.py) through `evallib.data.load_panel` and `analysis.chapter`.
No exception; every result is a result or an explained absence with a known reason in both
languages; the results document validates against the schema; the ladder has the six steps."""

from __future__ import annotations

import math
import warnings

import analysis_shapes as shapes
import pytest

import evallib.analysis.honest as honest_module
from evallib.analysis import chapter
from evallib.analysis.absence import Absent, reason_codes
from evallib.config import PilotConfig
from evallib.data import load_panel
from evallib.disclosure import suppress_in_results
from evallib.protocol import to_jsonable
from evallib.results.schema import validate_results

STEPS = [1, 2, 3, 4, 5, 6]
N_DRAWN = 300


def _run(tmp_path, seed: int, name: str | None = None, fast: bool = False):
    shape, spec = shapes.draw(seed, name)
    areas, raw = shapes.panel_for(spec, seed)
    path = shapes.write(tmp_path / f"{shape}_{seed}.csv", raw)
    params = shapes.params_for(f"shape_{seed}", spec, areas, str(path))
    if fast:  # the fewest draws: the property is about what is estimable, not its precision
        params["analysis"].update(n_boot_dynamic=0, wild_bootstrap_draws=0, ri_max_assignments=2)
    config = PilotConfig.model_validate(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = load_panel(path, config)
        ch = chapter(panel, config)
    return shape, spec, config, ch


def _absences(doc: dict) -> dict[str, dict]:
    out = {}
    for key, value in doc["results"].items():
        if isinstance(value, dict) and value.get("available") is False:
            out[key] = value
    for step, value in doc["results"]["relapse_did"].items():
        if isinstance(value, dict) and value.get("available") is False:
            out[f"relapse_did_{step}"] = value
    return out


def _numbers(x, where="results"):
    """Every number in the document is finite (NaN and inf became null)."""
    if isinstance(x, dict):
        for k, v in x.items():
            _numbers(v, f"{where}/{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _numbers(v, f"{where}/{i}")
    elif isinstance(x, float):
        assert math.isfinite(x), where


def check_complete(config, ch) -> dict:
    doc = to_jsonable(ch.to_dict())
    validate_results(suppress_in_results(doc, config.disclosure_threshold), source=config.pilot)
    _numbers(doc)
    known = set(reason_codes())
    for key, a in _absences(doc).items():
        assert a["reason_code"] in known, (key, a)
        assert a["reason"]["nl"].strip() and a["reason"]["en"].strip() and a["reason"]["nl"] != a["reason"]["en"]
    # the ladder always has the six steps of the schema
    assert list(ch.ladder.transitions.index) == STEPS and list(ch.ladder.transitions.columns) == STEPS
    if not isinstance(ch.ladder.state_distribution, Absent):
        assert list(ch.ladder.state_distribution.columns) == STEPS
    if not isinstance(ch.ladder.rates, Absent):
        assert set(ch.ladder.rates.table["origin"]) == set(STEPS)
    # the scorecard and the decision: a number or "cannot be judged" with the reason
    sc = ch.scorecard.to_dict()
    if sc["work_12m"]["estimate"] is None or ch.decision.rule == "no_estimate":
        assert "work_12m" in sc["absences"], sc["notes"]
        assert ch.decision.rule == "no_estimate"
        assert ch.decision.reason == sc["absences"]["work_12m"]
    return _absences(doc)


# expected absences, read off how each shape was drawn
EXPECTED = {
    "absent_steps": {"step_up_pooled": "step_not_occupied", "relapse_did_5": "step_not_occupied"},
    "unbalanced": {"staggered_gt": "no_never_treated", "staggered_dynamic": "no_never_treated"},
    "no_optional_columns": {"subgroups": "no_subgroup_columns"},
    "nobody_moves": {"step_up_did": "no_movement", "step_up_pooled": "no_movement", "markov": "no_movement"},
    "mixed_areas": {"headline_assessment": "no_comparison_area"},
    "twelve_months": {"cost": "no_estimate_at_horizon"},
    "horizon_beyond_data": {"cost": "no_estimate_at_horizon"},
    "few_steps": {"markov": "step_not_occupied"},
}


@pytest.mark.parametrize("name", list(shapes.SHAPES))
def test_every_named_shape_gives_a_complete_chapter(tmp_path, name):
    _, _, config, ch = _run(tmp_path, 1, name, fast=True)
    absent = check_complete(config, ch)
    for key, code in EXPECTED.get(name, {}).items():
        assert absent[key]["reason_code"] == code, (key, absent.get(key))
    if name in ("twelve_months", "horizon_beyond_data", "two_months"):  # nobody observed at the horizon
        assert ch.decision.rule == "no_estimate" and ch.decision.reason["reason"]["en"]


@pytest.mark.slow
def test_300_drawn_panels_give_complete_chapters(tmp_path, monkeypatch):
    # HonestDiD runs in the draws with a coarse grid (5 points, two M-bar values): the property is
    # that it gives a result or an explained absence on awkward panels (a program scipy refused
    # once crashed a chapter), not its precision
    monkeypatch.setattr(honest_module, "GRID_POINTS", 5)
    monkeypatch.setattr(honest_module, "MBAR", (0.0, 1.0))
    seen: dict[str, int] = {}
    for seed in range(1000, 1000 + N_DRAWN):
        shape, _, config, ch = _run(tmp_path, seed, fast=True)
        check_complete(config, ch)
        seen[shape] = seen.get(shape, 0) + 1
    assert set(seen) == set(shapes.SHAPES)  # every shape was drawn

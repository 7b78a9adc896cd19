"""The whole Dutch book (evallib run + evallib book) from a panel where Antwerpen's effect on
regular work is large and its effect on work-or-training is about zero: the simulated effect only
moves people from supported work (step 5) to regular work (step 6), both of which count as work,
and leaves falling back unchanged. Antwerpen is judged on regular work (its primary outcome), so
the rendered decision note must carry the regular-work effect and a verdict that follows it,
never the work-or-training effect (issue 14)."""

from __future__ import annotations

import html
import json
import re

import yaml
from e2e_support import SMALL_PERSONS, build_book, scratch_project

from evallib.report.format import fmt_pp_value
from evallib.report.labels import label

PILOT = "antwerpen_ondersteuningsnetwerk"


def _cells_of_row(page: str, name: str) -> list[str]:
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name!r} in the decision table")


def test_decision_note_follows_regular_work(tmp_path):
    project = scratch_project(tmp_path / "project")
    for pilot, persons in SMALL_PERSONS.items():  # the other pilots small: only Antwerpen matters
        path = project / "params" / f"{pilot}.yaml"
        params = yaml.safe_load(path.read_text(encoding="utf-8"))
        params["simulation"]["persons_per_area"] = persons
        params.pop("analysis_plan_sha256", None)
        path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    path = project / "params" / f"{PILOT}.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["simulation"].update(effect_up=2.5, effect_up_from=[5], effect_relapse=0.0)
    params.pop("analysis_plan_sha256", None)
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")

    index = build_book(project, "nl")
    results = json.loads((project / "build" / "results" / f"{PILOT}.json").read_text(encoding="utf-8"))["results"]
    by_outcome = {o["outcome"]: o for o in results["outcomes"]}
    regular, wot = by_outcome["regular_work"], by_outcome["work_or_training"]
    # the panel is what the test needs: regular work clearly up, work-or-training not
    assert regular["ci_low"] > 0.03, regular
    assert wot["ci_low"] < 0.01 and abs(wot["estimate"]) < 0.02, wot

    page = (index.parent / "decision" / "synthesis.html").read_text(encoding="utf-8")
    name = params["context"]["name"]
    cells = _cells_of_row(page, name)
    assert cells[1] == label("var_regular_work", "nl")
    sc = results["scorecard"]["work_12m"]
    # the scorecard judges the large regular-work effect (the headline estimator at 12 months),
    # not the work-or-training one
    assert sc["ci_low"] > 0.03 and sc["estimate"] - wot["estimate"] > 0.05, (sc, wot)
    assert fmt_pp_value(sc["estimate"], "nl") in cells[2]
    assert fmt_pp_value(wot["estimate"], "nl") not in cells[2]
    # an effect whose whole interval is above the 3-point threshold is never "stop"
    assert cells[3] in (label("verdict_scale", "nl"), label("verdict_continue", "nl")), cells

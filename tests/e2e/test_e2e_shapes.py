"""Any panel that validates gives a book (issue 12, and issue 15 item 8): awkward pilots — each
a new pilot added by one params file, with areas, months and steps unlike the demo pilots' —
through `evallib validate`, `evallib run` and `evallib book` in both languages: every page built,
nothing FAILED, and what the data do not allow said in its place in plain words. One more pilot,
`leuven_jobcoach`, starts from `evallib init-pilot` (the commented params file, filled in): months
from 1998, two pilot areas entering 1999-01 and 1999-04, only steps 4-6."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from e2e_support import ROOT, evallib, scratch_project

from evallib.config import load_pilot
from evallib.data import load_panel

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "analysis_shapes", ROOT / "tests" / "unit" / "analysis" / "analysis_shapes.py")
shapes = sys.modules.setdefault("analysis_shapes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(shapes)

# twelve awkward shapes and the three crashes of issue 15 item 8 (two months, nobody changing
# step, every area holding pilot and comparison people)
NAMES = ["absent_steps", "one_cohort", "same_month_all_areas", "twelve_months", "unbalanced", "seen_once",
         "no_optional_columns", "one_pilot_area", "two_comparison_areas", "heavy_suppression",
         "pilot_no_movement", "nobody_moves", "two_months", "mixed_areas"]
# the synthesis compares pilots at one horizon (analysis.horizon is the same for every pilot)
FAST = {"horizon": 12, "n_boot_dynamic": 0, "wild_bootstrap_draws": 9, "ri_max_assignments": 5}
# the pilot added with `evallib init-pilot`: areas, months and steps unlike the demo pilots' and the shapes'
NEW = "leuven_jobcoach"
NEW_SPEC = replace(shapes.SHAPES["top_steps_only"], first_month="1998-07", n_months=20, entries=(6, 9),
                   n_pilot_areas=2, n_comparison_areas=5)


def _add_new_pilot(project: Path) -> None:
    """`evallib init-pilot`, then fill in what the template marks FILL IN (and the analysis block)."""
    out = evallib(project, "init-pilot", NEW)
    path = project / "params" / f"{NEW}.yaml"
    assert str(path.name) in out.stdout
    text = path.read_text(encoding="utf-8")
    assert "FILL IN" in text and "# " in text
    params = yaml.safe_load(text)
    areas, raw = shapes.panel_for(NEW_SPEC, 300)
    shapes.write(project / params["data"], raw)  # the data path the template names
    filled = shapes.params_for(NEW, NEW_SPEC, areas, params["data"])
    for key in ("context", "design", "study_period", "areas", "simulation", "ladder_focus"):
        params[key] = filled[key]
    params["analysis"] = {**filled["analysis"], **FAST}
    params["primary_outcome"] = {"outcome": params["headline_outcome"], "why_nl": "het doel van de pilot",
                                 "why_en": "the pilot's goal", "source": "test params"}
    assert "FILL IN" not in yaml.safe_dump(params, allow_unicode=True)
    shapes.write_params(path, params)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A scratch project whose only pilots are the shapes (params/ holds nothing else)."""
    project = scratch_project(tmp_path_factory.mktemp("shapes"))
    shutil.rmtree(project / "params")
    (project / "params").mkdir()
    for i, name in enumerate(NAMES):
        _, spec = shapes.draw(1, name)
        areas, raw = shapes.panel_for(spec, 100 + i)
        data = f"data/shapes/{name}.csv"
        shapes.write(project / data, raw)
        params = shapes.params_for(name, spec, areas, data)
        params["analysis"].update(FAST)
        shapes.write_params(project / "params" / f"{name}.yaml", params)
    _add_new_pilot(project)
    return project


@pytest.fixture(scope="module")
def books(project):
    for name in NAMES:  # each validates ...
        load_panel(project / "data" / "shapes" / f"{name}.csv", load_pilot(name, project))
    for name in ("two_months", "nobody_moves", "mixed_areas"):  # (issue 15 item 8: by the command too)
        evallib(project, "validate", f"data/shapes/{name}.csv", "--pilot", name)
    evallib(project, "validate", f"data/{NEW}/panel.csv", "--pilot", NEW)
    run = evallib(project, "run", "--lang", "nl,en", check=False)
    assert run.returncode == 0, run.stdout + run.stderr  # ... and runs
    assert "FAILED" not in run.stdout, run.stdout
    out = evallib(project, "book", "--lang", "nl,en")
    index = [Path(line) for line in out.stdout.strip().splitlines() if line.endswith("index.html")]
    assert len(index) == 2, out.stdout
    return project, {("en" if "-en" in str(i) or "/en/" in str(i) else "nl"): i.parent for i in index}


def _text(html: Path) -> str:
    return re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8"))


def test_every_pilot_has_a_chapter_in_both_editions(books):
    project, sites = books
    assert set(sites) == {"nl", "en"}
    for lang, site in sites.items():
        for name in [*NAMES, NEW]:  # the chapter, its ladder and costs sections, the public summary
            for page in (f"pilots/{name}.html", f"pilots/{name}/02_ladder.html", f"pilots/{name}/03_costs.html",
                         f"summary/{name}.html"):
                assert (site / page).is_file(), (lang, page)
        for page in site.rglob("*.html"):  # no error output from a notebook anywhere
            text = page.read_text(encoding="utf-8")
            assert "Traceback" not in text and "KeyError" not in text, page


def test_the_pilot_from_init_pilot_has_its_own_areas_months_and_steps(books):
    project, sites = books
    doc = json.loads((project / "build" / "results" / f"{NEW}.json").read_text(encoding="utf-8"))
    text = json.dumps(doc)
    assert "1998-08" in text and "1999-04" in text  # months before 2000; the second entry month
    assert "Shape leuven_jobcoach" in _text(sites["en"] / "pilots" / f"{NEW}.html")
    ladder = _text(sites["en"] / "pilots" / NEW / "02_ladder.html")
    assert "Traceback" not in ladder and "Error" not in ladder


def test_results_record_explained_absences(books):
    project, _ = books
    doc = json.loads((project / "build" / "results" / "unbalanced.json").read_text(encoding="utf-8"))
    gt = doc["results"]["staggered_gt"]
    assert gt["available"] is False and gt["reason_code"] == "no_never_treated"
    assert gt["reason"]["nl"] and gt["reason"]["en"]
    doc = json.loads((project / "build" / "results" / "nobody_moves.json").read_text(encoding="utf-8"))
    assert doc["results"]["step_up_did"]["reason_code"] == "no_movement"


def test_absences_are_said_in_plain_words_in_both_languages(books):
    _, sites = books
    page_en, page_nl = (sites[lang] / "pilots" / "unbalanced.html" for lang in ("en", "nl"))
    assert "Cannot be estimated on these data" in _text(page_en)
    assert "no person of the comparison group is observed in every month" in _text(page_en)
    assert "Niet te schatten met deze gegevens" in _text(page_nl)
    ladder = _text(sites["en"] / "pilots" / "nobody_moves" / "02_ladder.html")
    assert "nobody changes step in these data" in ladder
    # the decision note: a pilot whose effect at the horizon cannot be estimated cannot be judged
    decision = [p for p in sites["en"].rglob("*.html") if "cannot be judged" in _text(p).lower()]
    assert decision, "no page says 'cannot be judged'"

"""Editions over time, end to end: publish the book twice with different data (a small simulated
panel, then the same pilot simulated with another seed), and find both editions kept and readable
from the editions index in both languages, and the differences listed on the second edition's
"what changed" page with the data fingerprints old → new (issue 14, "Done means")."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from e2e_support import evallib, scratch_project

from evallib.config import load_pilot
from evallib.simulate import write_demo

pytestmark = pytest.mark.slow

PILOT = "gent_mobiel_arbeidsteam"
PERSONS = 40  # per area: a small panel that still gives every headline number


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _local(hrefs: list[str]) -> list[str]:
    return [h.split("#")[0] for h in hrefs
            if not re.match(r"^[a-z]+:", h) and not h.startswith("#") and h.split("#")[0]]


def _pp(x: float, lang: str) -> str:
    """A difference of shares in percentage points, one decimal, written out by hand (not with
    evallib's formatter): 0.0869 → '+8,7' (nl) / '+8.7' (en)."""
    v = f"{abs(x) * 100:.1f}"
    sign = "+" if round(x * 1000) > 0 else "−" if round(x * 1000) < 0 else ""
    return sign + (v.replace(".", ",") if lang == "nl" else v)


@pytest.fixture(scope="module")
def published_twice(tmp_path_factory):
    project = scratch_project(tmp_path_factory.mktemp("editions") / "project")
    for params in (project / "params").glob("*.yaml"):
        if params.stem != PILOT:
            params.unlink()  # one pilot keeps the two runs short
    path = project / "params" / f"{PILOT}.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["simulation"]["persons_per_area"] = PERSONS
    params.pop("analysis_plan_sha256", None)  # a changed scratch copy is not the frozen plan
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")

    evallib(project, "run", "--lang", "nl,en")
    evallib(project, "book", "--lang", "nl,en")
    first_results = json.loads((project / "build" / "results" / f"{PILOT}.json").read_text(encoding="utf-8"))
    first_manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))

    # new data: the same pilot simulated with another seed
    data = write_demo(load_pilot(PILOT, project), project / "new", seed=7)
    evallib(project, "run", "--pilot", PILOT, "--data", str(data), "--lang", "nl,en")
    evallib(project, "book", "--lang", "nl,en")
    second_results = json.loads((project / "build" / "results" / f"{PILOT}.json").read_text(encoding="utf-8"))
    second_manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))
    return {"project": project, "results": (first_results, second_results),
            "manifest": (first_manifest, second_manifest)}


def _editions(project: Path) -> list[Path]:
    base = project / "book" / "_build" / "editions"
    return sorted((d for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")),
                  key=lambda d: json.loads((d / "edition.json").read_text(encoding="utf-8"))["published_at"]
                  + d.name)


def test_both_editions_are_kept_and_every_index_link_resolves(published_twice):
    project = published_twice["project"]
    first, second = published_twice["manifest"]
    editions = _editions(project)
    assert len(editions) == 2
    assert editions[0].name.endswith(first["run_id"]) and editions[1].name.endswith(second["run_id"])
    assert re.match(r"^\d{4}-\d{2}-\d{2}-", editions[0].name)
    base = project / "book" / "_build" / "editions"
    for index, lang in (("index.html", "nl"), ("index-en.html", "en")):
        links = _local(_parse(base / index).hrefs)
        for href in links:
            assert (base / href).resolve().is_file(), f"{index}: {href} does not resolve"
        for d in editions:
            for lg in ("html", "html-en"):
                assert f"{d.name}/{lg}/index.html" in links, (index, d.name, lg)
                assert (d / lg / "index.html").is_file() and (d / lg / "editions.html").is_file()
            assert f"{d.name}/{'html' if lang == 'nl' else 'html-en'}/editions.html" in links
    # every local link of the earlier edition's pages still resolves (it is complete, offline)
    old = editions[0] / "html"
    # the two languages of an edition sit side by side as in the published book, so a link from one
    # language to the other (the language switch: ../html-en/<page>) resolves inside the edition too
    assert (old / ".." / "html-en" / "intro.html").resolve().is_file()
    for page in [old / "index.html", old / "editions.html"]:
        for href in _local(_parse(page).hrefs):
            assert (page.parent / href).resolve().exists(), f"{page}: {href}"
    # the book links to the index, from the current book and from a kept edition alike
    for page, href in ((project / "book" / "_build" / "html" / "editions.html", "../editions/index.html"),
                       (project / "book" / "_build" / "html-en" / "editions.html", "../editions/index-en.html"),
                       (editions[0] / "html" / "editions.html", "../../index.html"),
                       (editions[0] / "html-en" / "editions.html", "../../index-en.html")):
        assert href in _parse(page).hrefs, page
        assert (page.parent / href).resolve().is_file(), (page, href)


def test_first_edition_says_there_is_no_previous_one(published_twice):
    first = _editions(published_twice["project"])[0]
    assert "eerste editie" in "".join(_parse(first / "html" / "editions.html").text)
    assert "first edition" in "".join(_parse(first / "html-en" / "editions.html").text)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_what_changed_lists_the_moved_numbers_and_the_new_data(published_twice, lang):
    project = published_twice["project"]
    old_manifest, new_manifest = published_twice["manifest"]
    old_res, new_res = (r["results"] for r in published_twice["results"])
    folder = "html" if lang == "nl" else "html-en"
    text = " ".join("".join(_parse(project / "book" / "_build" / folder / "editions.html").text).split())
    old_sha = old_manifest["pilots"][PILOT]["data_sha256"]
    new_sha = new_manifest["pilots"][PILOT]["data_sha256"]
    assert old_sha != new_sha
    assert f"{old_sha[:12]} → {new_sha[:12]}" in text
    assert ("nieuwe data" if lang == "nl" else "new data") in text
    assert _editions(project)[0].name in text  # compared with the first edition
    # the effect at the horizon moved (another seed): old and new value and the difference
    old_e = old_res["scorecard"]["work_12m"]["estimate"]
    new_e = new_res["scorecard"]["work_12m"]["estimate"]
    assert round(old_e * 1000) != round(new_e * 1000)
    row = "Effect op de horizon van de scorekaart" if lang == "nl" else "Effect at the horizon of the scorecard"
    assert row in text
    unit = "procentpunt" if lang == "nl" else "percentage points"
    for value in (old_e, new_e, new_e - old_e):
        assert f"{_pp(value, lang)} {unit}" in text, (value, text[:3000])
    # participants: a count published in both editions (or suppressed: then no difference)
    old_n, new_n = old_res["reach"]["participants"], new_res["reach"]["participants"]
    if old_n is not None and new_n is not None and old_n != new_n:
        diff = new_n - old_n
        assert ("+" if diff > 0 else "−") + str(abs(diff)) in text

"""Issue 15, item 4: no suppressed count can be recovered by arithmetic on what is published.

Every pilot is run on a tiny panel (two or three persons per area: a few dozen persons, disclosure
threshold 10) and both editions are built. An attacker then reads everything published (the
HTML text of both editions and every ``build/results/<pilot>.json``) and tries to recover a count
of people between 1 and 9 by

- differences of published totals: participants minus those observed / in the outcome at the
  horizon (the reach sentence and the results file), the relapse and time-to-work counts, a
  group's size (design table) minus the other published levels of a subgroup variable;
- products of a published percentage with its published base: balance-table percentages and
  their complements times the group sizes of the design table, the spillover share times the
  comparison group, the share of the target times the target;
- quotients: total cost divided by the cost per participant, additional persons divided by the
  effect.

A count is recovered when the arithmetic pins down one whole number (the interval that the
rounding of the shown numbers leaves holds exactly one integer) and that number is between 1 and
threshold - 1. The test asserts that the attacker recovers nothing, and that no count of people in
a results file (the ``*_at_horizon`` keys included) is published below the threshold. The
relations are written here from what the numbers mean, not from ``evallib.disclosure``.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from e2e_support import PILOTS, ROOT, evallib, scratch_project

pytestmark = pytest.mark.slow

T = 10  # the disclosure threshold of every pilot (params default)
TINY = {"antwerpen_ondersteuningsnetwerk": 3, "gent_mobiel_arbeidsteam": 2, "westhoek_proeftuin": 3}
CATALOGUE = {}
for _f in sorted((ROOT / "src" / "evallib" / "catalogue").glob("*.yaml")):
    CATALOGUE.update(yaml.safe_load(_f.read_text(encoding="utf-8")))


def lab(key: str, lang: str) -> str:
    return CATALOGUE[key][lang]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """Both editions and the results files of a project whose pilots all have tiny panels."""
    project = scratch_project(tmp_path_factory.mktemp("recovery") / "project")
    for pilot, n in TINY.items():
        path = project / "params" / f"{pilot}.yaml"
        params = yaml.safe_load(path.read_text(encoding="utf-8"))
        params["simulation"]["persons_per_area"] = n
        params.pop("analysis_plan_sha256", None)  # a changed scratch copy is not the frozen plan
        path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    evallib(project, "run", "--lang", "nl,en")
    html = {}
    for lang in ("nl", "en"):
        out = evallib(project, "book", "--lang", lang)
        html[lang] = Path(out.stdout.strip().splitlines()[-1]).parent
    results = {p: json.loads((project / "build" / "results" / f"{p}.json").read_text(encoding="utf-8"))
               for p in PILOTS}
    yield {"html": html, "results": results}
    shutil.rmtree(project, ignore_errors=True)


# --- reading numbers as shown ----------------------------------------------------------------
def shown_number(text: str) -> tuple[float, float] | None:
    """The interval of values a shown number stands for (rounding of its last digit), or None
    when it is suppressed ('<10') or not a number. '12' -> (11.5, 12.5); '8,3%' -> (0.0825, 0.0835)."""
    s = str(text).strip().replace("\u2009", "").replace("\xa0", "").replace(" ", "")
    if not s or s.startswith("<") or s in {"–", "-", "nan"}:
        return None
    pct = s.endswith("%")
    s = s.rstrip("%")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", s) or re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        s = s.replace(".", "").replace(",", "")  # thousands separators
    s = s.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        return None
    decimals = len(s.split(".")[1]) if "." in s else 0
    half = 0.5 * 10 ** -decimals
    v = float(s)
    lo, hi = v - half, v + half
    return (lo / 100, hi / 100) if pct else (lo, hi)


def exact(iv: tuple[float, float] | None) -> int | None:
    """The whole number an interval pins down (None when it holds no or several integers)."""
    if iv is None:
        return None
    lo, hi = iv
    ints = range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1)
    return ints[0] if len(ints) == 1 else None


def small(n: int | None) -> bool:
    return n is not None and 0 < n < T


def product(share: tuple[float, float] | None, base: tuple[float, float] | None) -> int | None:
    if share is None or base is None:
        return None
    return exact((share[0] * base[0], share[1] * base[1]))


def difference(total: tuple[float, float] | None, part: tuple[float, float] | None) -> int | None:
    if total is None or part is None:
        return None
    return exact((total[0] - part[1], total[1] - part[0]))


def ratio(num: tuple[float, float] | None, den: tuple[float, float] | None) -> int | None:
    if num is None or den is None or den[0] <= 0:
        return None
    return exact((num[0] / den[1], num[1] / den[0]))


def euros(text: str) -> tuple[float, float] | None:
    """A shown amount in euro ('€6,428' / '€ 6.428') as an interval."""
    s = str(text).replace("€", "").replace("\xa0", "").replace(" ", "").strip()
    if re.fullmatch(r"\d{1,3}([.,]\d{3})*", s):
        v = float(re.sub(r"[.,]", "", s))
        return (v - 0.5, v + 0.5)
    return None


def _cells(tr) -> list[str]:
    return [" ".join(c.get_text(" ").split()) for c in tr.find_all(["th", "td"], recursive=False)]


def page(html_dir: Path, rel: str) -> tuple[str, list[pd.DataFrame]]:
    """A page's text (whitespace collapsed) and its tables as strings, as shown."""
    soup = BeautifulSoup((html_dir / rel).read_text(encoding="utf-8"), "html.parser")
    tables = []
    for t in soup.find_all("table"):
        rows = [_cells(tr) for tr in t.find_all("tr")]
        rows = [r for r in rows if r]
        if len(rows) < 2:
            continue
        head, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
        tables.append(pd.DataFrame(body, columns=head))
    return " ".join(soup.get_text(" ").split()), tables


def table_with(tables: list[pd.DataFrame], *columns: str) -> pd.DataFrame | None:
    for t in tables:
        if all(c in t.columns for c in columns):
            return t
    return None


def template_regex(template: str, **groups: str) -> re.Pattern:
    """A regex from a catalogue sentence: the named fields capture a shown number (or '<10')."""
    parts = re.split(r"(\{\w+\})", template)
    out = []
    for p in parts:
        m = re.fullmatch(r"\{(\w+)\}", p)
        if m:
            name = m.group(1)
            out.append(f"(?P<{name}>[<\\d][\\d.,%\\s]*?)" if name in groups else ".*?")
        else:
            out.append(re.escape(re.sub(r"\s+", " ", p)))
    return re.compile("".join(out))


# --- the attacks -----------------------------------------------------------------------------
def attack_html(html_dir: Path, lang: str, pilot: str) -> list[str]:
    found = []
    text, tables = page(html_dir, f"pilots/{pilot}.html")
    design = table_with(tables, lab("col_persons", lang), lab("col_person_months", lang))
    sizes = {}
    if design is not None:
        for _, r in design.iterrows():
            sizes[r[lab("col_group", lang)]] = shown_number(r[lab("col_persons", lang)])
    pilot_n = sizes.get(lab("group_pilot", lang))
    comp_n = sizes.get(lab("group_comparison", lang))
    # balance table: percentage (and its complement) x the group's published size
    bal = table_with(tables, lab("col_variable", lang), lab("group_pilot", lang), lab("col_smd", lang))
    if bal is not None:
        for _, r in bal.iterrows():
            for grp, base in ((lab("group_pilot", lang), pilot_n), (lab("group_comparison", lang), comp_n)):
                cell = r[grp]
                if not str(cell).strip().endswith("%"):
                    continue
                share = shown_number(cell)
                for what, sh in (("share", share), ("complement", (1 - share[1], 1 - share[0]) if share else None)):
                    n = product(sh, base)
                    if small(n):
                        found.append(f"{lang} {pilot} balance {r[lab('col_variable', lang)]} {grp} {what}: {n}")
    # subgroup table: a group's size minus the other levels of one variable
    sub = table_with(tables, lab("col_subgroup", lang), lab("col_n_pilot", lang), lab("col_n_comparison", lang))
    if sub is not None:
        for col, base in ((lab("col_n_pilot", lang), pilot_n), (lab("col_n_comparison", lang), comp_n)):
            for var, rows in sub.groupby(lab("col_subgroup", lang), sort=False):
                vals = [shown_number(v) for v in rows[col]]
                hidden = [v is None for v in vals]
                if sum(hidden) == 1 and base is not None:
                    rest = (sum(v[0] for v in vals if v), sum(v[1] for v in vals if v))
                    n = difference(base, rest)
                    if small(n):
                        found.append(f"{lang} {pilot} subgroup {var} {col}: {n}")
    # reach sentence (costs page): participants - observed, observed - in outcome, participants - in outcome
    costs, _ = page(html_dir, f"pilots/{pilot}/03_costs.html")
    nums = {}
    m = template_regex(lab("reach_target", lang), n=1).search(costs)
    if m:
        nums["participants"] = shown_number(m.group("n"))
    for key in ("reach_gross_net", "reach_gross_only"):
        m = template_regex(lab(key, lang), observed=1, gross=1).search(costs)
        if m:
            nums["observed"] = shown_number(m.group("observed"))
            nums["gross"] = shown_number(m.group("gross"))
            break
    for total, part in (("participants", "observed"), ("observed", "gross"), ("participants", "gross")):
        n = difference(nums.get(total), nums.get(part))
        if small(n):
            found.append(f"{lang} {pilot} reach sentence {total} - {part}: {n}")
    # the cost sentence names the participants: never a small number
    m = template_regex(lab("cost_per_participant_sentence", lang), n=1).search(costs)
    if m and small(exact(shown_number(m.group("n")))):
        found.append(f"{lang} {pilot} cost sentence: {m.group('n')} participants")
    # costs: total cost / cost per participant = participants (the cost table)
    _, cost_tables = page(html_dir, f"pilots/{pilot}/03_costs.html")
    ct = table_with(cost_tables, lab("col_quantity", lang), lab("col_amount", lang))
    if ct is not None:
        amounts = dict(zip(ct[lab("col_quantity", lang)], ct[lab("col_amount", lang)], strict=True))
        total = next((euros(v) for k, v in amounts.items() if k.startswith(lab("cost_total", lang))), None)
        per = euros(amounts.get(lab("cost_per_participant", lang), ""))
        n = ratio(total, per)
        if small(n):
            found.append(f"{lang} {pilot} cost table total / per participant: {n}")
    # spillover: share of the comparison group x its published size
    m = template_regex(lab("ev_no_spillovers", lang), share=1).search(costs)
    if m:
        share = shown_number(m.group("share"))
        for what, sh in (("share", share), ("complement", (1 - share[1], 1 - share[0]) if share else None)):
            n = product(sh, comp_n)
            if small(n):
                found.append(f"{lang} {pilot} spillover {what}: {n}")
    return found


PEOPLE = re.compile(r"^(n|n_(?!clusters|treated_clusters|boot|draws|assignments|possible|eligible_clusters|clipped|"
                    r"obs_clusters|params|periods|months|cohorts|thresholds|states|leads|lags).*|.*_n|participants|"
                    r".*_at_horizon|persons|.*_persons.*|n_persons.*|in_outcome.*|observed_at.*)$")


NESTED = (("participants", "observed_at_horizon"), ("observed_at_horizon", "in_outcome_at_horizon"),
          ("participants", "in_outcome_at_horizon"), ("n_entries", "n_censored"), ("n_entries", "n_eligible"),
          ("n_eligible", "n_relapsed"), ("n", "n_events"))


def _json_number(v) -> tuple[float, float] | None:
    return None if v is None or isinstance(v, bool) or not isinstance(v, int | float) else (v, v)


def attack_json(doc: dict, pilot: str) -> list[str]:
    found = []

    def walk(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                if PEOPLE.match(str(k)) and isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < T:
                    found.append(f"json {pilot} {path}/{k} = {v}")
                walk(v, f"{path}/{k}")
            rec = {k: _json_number(v) for k, v in o.items()}
            for total, part in NESTED:
                n = difference(rec.get(total), rec.get(part))
                if small(n):
                    found.append(f"json {pilot} {path}: {total} - {part} = {n}")
            n = product(rec.get("share_of_target"), rec.get("target"))
            if small(n):
                found.append(f"json {pilot} {path}: share_of_target x target = {n}")
            n = product(rec.get("p_relapse"), rec.get("n_eligible"))
            if small(n):
                found.append(f"json {pilot} {path}: p_relapse x n_eligible = {n}")
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, f"{path}[{i}]")

    walk(doc, "")
    # total cost / cost per participant, and additional persons / effect, give the participants
    res = doc.get("results", {})
    total = _json_number(res.get("facts", {}).get("total_cost_eur"))
    for where, rec in (("cost", res.get("cost") or {}), ("scorecard/cost", (res.get("scorecard") or {}).get("cost")
                                                          or {})):
        n = ratio(total, _json_number(rec.get("per_participant_eur")))
        if small(n):
            found.append(f"json {pilot} facts/total_cost_eur / {where}/per_participant_eur = {n}")
    cost = res.get("cost") or {}
    n = ratio(_json_number(cost.get("additional_persons")), _json_number(cost.get("effect")))
    if small(n):
        found.append(f"json {pilot} cost additional_persons / effect = {n}")
    return found


def test_no_count_of_people_in_a_results_file_is_below_the_threshold_or_recoverable(published):
    found = [f for p, doc in published["results"].items() for f in attack_json(doc, p)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_suppressed_count_is_recovered_from_the_published_book(published, lang):
    found = [f for p in PILOTS for f in attack_html(published["html"][lang], lang, p)]
    # the spillover share in the results file times the comparison group shown in the book
    for p in PILOTS:
        text, tables = page(published["html"][lang], f"pilots/{p}.html")
        design = table_with(tables, lab("col_persons", lang), lab("col_person_months", lang))
        comp = shown_number(design[design[lab("col_group", lang)] == lab("group_comparison", lang)]
                            [lab("col_persons", lang)].iloc[0]) if design is not None else None
        share = _json_number(published["results"][p]["results"].get("facts", {}).get("comparison_in_pilot_areas"))
        for what, sh in (("share", share), ("complement", (1 - share[1], 1 - share[0]) if share else None)):
            n = product(sh, comp)
            if small(n):
                found.append(f"{lang} {p} json spillover x book comparison group {what}: {n}")
    assert not found, "\n".join(found)


def test_the_attacker_reads_the_pages_it_attacks(published):
    # guard against an attack that silently reads nothing: the design table and the reach
    # sentence are found on every pilot's pages in both editions
    for lang in ("nl", "en"):
        for p in PILOTS:
            _, tables = page(published["html"][lang], f"pilots/{p}.html")
            assert table_with(tables, lab("col_persons", lang), lab("col_person_months", lang)) is not None
            assert table_with(tables, lab("col_variable", lang), lab("col_smd", lang)) is not None
            costs, _ = page(published["html"][lang], f"pilots/{p}/03_costs.html")
            assert any(template_regex(lab(k, lang), observed=1, gross=1).search(costs)
                       for k in ("reach_gross_net", "reach_gross_only")), (lang, p)

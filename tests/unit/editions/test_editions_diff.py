"""What changed between two editions: hand-made results documents → the expected changes, their
reasons, and how the page prints them (values worked out by hand)."""

from __future__ import annotations

import copy

import pytest

from evallib.editions.diff import compare_editions, compare_pilot, display_key, flatten_params, headline_values
from evallib.editions.page import changes_markdown, format_change, format_value, index_html, item_label

NBSP = "\u00a0"


def _doc(**over) -> dict:
    """A small results document with the sections the headline numbers come from."""
    results = {
        "decision": {"verdict": "scale", "probability": 0.93, "rules": {"policy_threshold": 0.03},
                     "checks": [{"name": "cost", "passed": True, "value": 39000.0, "limit": 50000.0}]},
        "scorecard": {"outcome_work": "work_or_training", "mde": 0.02,
                      "work_12m": {"estimate": 0.087, "ci_low": 0.0736, "ci_high": 0.1003,
                                   "estimator": "Callaway-Sant'Anna"},
                      "inference": {"label": "fragile", "n_clusters": 22},
                      "cost": {"per_additional_in_work_eur": 39702.7, "per_participant_eur": 3452.11,
                               "notes": "free text"},
                      "notes": ["not a number"], "participants": 986, "flow": {"n_persons": 950}},
        "reach": {"participants": 986, "in_outcome_at_horizon": 371, "observed_at_horizon": 950, "additional": 85.7,
                  "additional_ci": [72.6, 98.9], "share_of_target": 1.0956, "target": 900},
        "cost": {"total_cost_eur": 3403781.0, "spec": {"horizon_months": 12}},
        "headline_assessment": {"estimate": 0.05, "conf_int": [0.01, 0.09], "table": [{"estimate": 0.05}]},
        "twfe": {"estimate": 0.5},  # not a headline section: never compared
    }
    for path, value in over.items():
        node = results
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return {"pilot": "p", "results": results}


def _by_key(changes):
    return {c.item.key: c for c in changes}


def test_headline_values_take_declared_items_and_other_numbers_of_the_headline_sections():
    values = headline_values(_doc())
    assert values["verdict"][1] == "scale"
    assert values["work_12m"][1] == 0.087 and values["work_12m.ci_high"][1] == 0.1003
    assert values["twfe.ci_low"][1] == 0.01  # an interval stored as a list
    assert values["reach.share_of_target"][1] == 1.0956
    # other numbers of those sections are compared under their path; list items by their name
    assert values["decision.checks.cost.passed"][1] is True
    assert values["scorecard.inference.n_clusters"][1] == 22
    assert values["scorecard.flow.n_persons"][1] == 950 and values["scorecard.flow.n_persons"][0].kind == "count"
    # reach and cost repeat the scorecard: only their declared numbers are compared
    assert "reach.observed_at_horizon" not in values and "cost.spec.horizon_months" not in values
    # the same number twice is compared once; a check's value and limit are the values it tests
    assert "scorecard.participants" not in values and "reach.participants" in values
    assert "decision.checks.cost.value" not in values and "decision.checks.cost.limit" not in values
    # settings, texts, estimator tables and sections outside the headline are not headline numbers
    assert not any(k.startswith(("decision.rules", "cost.spec", "headline_assessment")) for k in values)
    assert "twfe.estimate" not in values
    assert not any("notes" in k or "estimator" in k for k in values)


def test_identical_documents_have_no_changes_and_print_precision_decides_what_moved():
    assert compare_pilot(_doc(), _doc()) == []
    # 8,70 pp vs 8,74 pp both print as 8,7: not a revision; € 3.452,11 vs € 3.452,40 print alike
    same = _doc(scorecard__work_12m__estimate=0.08704, scorecard__cost__per_participant_eur=3452.40)
    assert compare_pilot(_doc(), same) == []
    assert display_key("effect", 0.08704) == display_key("effect", 0.087) == 8.7
    assert display_key("prob", 0.995) == display_key("prob", 0.999)  # both print as "> 99 %"


def test_moved_numbers_changed_words_and_flags():
    new = _doc(scorecard__work_12m__estimate=0.099, decision__verdict="continue",
               decision__checks__0__passed=False, scorecard__cost__per_participant_eur=3572.11,
               reach__participants=990, scorecard__participants=990)
    changes = _by_key(compare_pilot(_doc(), new))
    assert set(changes) == {"work_12m", "verdict", "decision.checks.cost.passed", "cost.per_participant",
                            "reach.participants"}
    effect = changes["work_12m"]
    assert effect.status == "moved" and effect.delta == pytest.approx(0.012)
    assert changes["verdict"].status == "changed" and changes["verdict"].delta is None
    assert (changes["verdict"].old, changes["verdict"].new) == ("scale", "continue")
    assert changes["decision.checks.cost.passed"].status == "changed"
    assert changes["cost.per_participant"].delta == pytest.approx(120.0)
    assert changes["reach.participants"].delta == 4
    # a number without a catalogue name is shown under its key, as text
    shown = item_label(changes["decision.checks.cost.passed"].item, "en")
    assert shown == "Other value: decision\\.checks\\.cost\\.passed"


def test_a_suppressed_value_is_never_differenced():
    # the count of participants in the outcome falls below the threshold in the new edition,
    # and another count was suppressed before and is published now
    old = _doc(reach__participants=None, scorecard__flow__n_persons=None)
    new = _doc(reach__in_outcome_at_horizon=None)
    changes = _by_key(compare_pilot(old, new))
    for key in ("reach.in_outcome", "reach.participants", "scorecard.flow.n_persons"):
        assert changes[key].status == "hidden" and changes[key].delta is None
    assert changes["reach.in_outcome"].old == 371 and changes["reach.in_outcome"].new is None
    assert all(c.delta is None for c in changes.values() if c.old is None or c.new is None)
    # printed: the published side, "suppressed" for the other, and no difference
    c = changes["reach.in_outcome"]
    assert format_value(c.item, c.new, "nl") == "onderdrukt (klein aantal)"
    assert format_value(c.item, c.old, "en") == "371"
    generic = changes["scorecard.flow.n_persons"]
    assert format_value(generic.item, generic.old, "en") == "suppressed (small number)"
    assert format_change(c, "en") == "no difference (suppressed or not available)"
    # a suppressed value that stays suppressed is no change at all
    assert compare_pilot(new, copy.deepcopy(new)) == []


def test_values_that_appear_or_disappear():
    old = _doc()
    new = _doc()
    del new["results"]["headline_assessment"]
    new["results"]["headline"] = {"primary": {"estimate": 0.11}}  # a section added by a later evallib
    changes = _by_key(compare_pilot(old, new))
    assert changes["twfe"].status == "removed" and changes["twfe"].old == 0.05
    assert changes["headline.primary.estimate"].status == "added"
    assert format_value(changes["twfe"].item, None, "nl", exists=False) == "niet gepubliceerd"


def test_reasons_data_fingerprints_params_keys_and_code():
    def snap(data, params, version, results=None, pilots=("a",)):
        return {"code": {"evallib_version": version, "source_sha256": "s" * 64, "git_commit": "c1"},
                "pilots": {p: {"data_sha256": data, "params": params, "results": results or _doc()}
                           for p in pilots}}

    params = {"seed": 1, "decision": {"max_cost_per_additional_eur": 50000, "scale_min_probability": 0.8},
              "areas": [{"name": "Gent"}]}
    changed = copy.deepcopy(params)
    changed["decision"]["max_cost_per_additional_eur"] = 45000
    changed["areas"] = [{"name": "Gent"}, {"name": "Eeklo"}]
    old = snap("a" * 64, params, "0.1.0", pilots=("a", "gone"))
    new = snap("b" * 64, changed, "0.2.0", results=_doc(decision__probability=0.5), pilots=("a", "fresh"))
    out = {pc.pilot: pc for pc in compare_editions(old, new)}
    assert [pc.pilot for pc in compare_editions(old, new)] == ["a", "fresh", "gone"]
    a = out["a"]
    assert a.status == "compared"
    assert a.reasons.data == ("a" * 64, "b" * 64)
    assert a.reasons.params_keys == ("areas", "decision.max_cost_per_additional_eur")
    assert a.reasons.code == {"evallib_version": ("0.1.0", "0.2.0")}
    assert [c.item.key for c in a.changes] == ["probability"]
    assert format_change(a.changes[0], "nl") == "−43,0 procentpunt"  # 93 % → 50 %
    assert out["fresh"].status == "new" and out["gone"].status == "removed"
    # the same inputs: no reason, no change
    same = compare_editions(old, copy.deepcopy(old))
    assert all(not pc.reasons.any and not pc.changes for pc in same)


def test_flatten_params():
    assert flatten_params({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == {"a.b": 1, "a.c.d": [1, 2], "e": {}}


@pytest.mark.parametrize(("lang", "effect", "eur", "count"), [
    ("nl", "+1,2 procentpunt", f"+€{NBSP}1.234", "−15"),
    ("en", "+1.2 percentage points", "+€1,234", "−15"),
])
def test_differences_are_printed_in_the_edition_language(lang, effect, eur, count):
    new = _doc(scorecard__work_12m__estimate=0.099, cost__total_cost_eur=3403781.0 + 1234,
               reach__participants=971)
    changes = _by_key(compare_pilot(_doc(), new))
    assert format_change(changes["work_12m"], lang) == effect
    assert format_change(changes["cost.total"], lang) == eur
    assert format_change(changes["reach.participants"], lang) == count
    assert format_value(changes["work_12m"].item, 0.099, lang) == effect.replace("1,2", "9,9").replace("1.2", "9.9")


def _page(lang, name, previous=True):
    old = {"code": {}, "pilots": {"p": {"data_sha256": "0123456789abcdef" * 4, "params": {}, "results": _doc()}}}
    new = copy.deepcopy(old)
    new["pilots"]["p"]["data_sha256"] = "fedcba9876543210" * 4
    new["pilots"]["p"]["results"] = _doc(decision__verdict="stop", decision__checks__0__passed=False)
    prev = {"id": "2026-01-01-run1", "published_at": "2026-01-01T10:00:00+00:00"} if previous else None
    return changes_markdown(lang, {"id": "2026-02-01-run2", "run_id": "run2", "published_at": "2026-02-01T10:00:00"},
                            prev, compare_editions(old, new) if previous else [], {"p": name},
                            "../editions/index.html")


def test_page_lists_why_and_what_and_escapes_names():
    page = _page("nl", "<script>alert(1)</script> {raw} `x`")
    assert "<script>" not in page and "{raw} `x`" not in page
    assert "\\<script\\>" in page
    assert "nieuwe data (vingerafdruk SHA-256 0123456789ab → fedcba987654)" in page
    assert "| Advies | opschalen | stoppen | gewijzigd |" in page
    assert "| Andere waarde: decision\\.checks\\.cost\\.passed | ja | nee | gewijzigd |" in page
    assert "1 februari 2026" in page and "1 januari 2026" in page
    assert 'href="../editions/index.html"' in page
    en = _page("en", "Gent")
    assert "| Advice | scale up | stop | changed |" in en and "1 February 2026" in en


def test_first_edition_page_says_there_is_no_previous_one():
    assert "Dit is de eerste editie" in _page("nl", "Gent", previous=False)
    assert "This is the first edition" in _page("en", "Gent", previous=False)


def test_index_lists_editions_newest_first_with_escaped_ids():
    editions = [{"id": "2026-01-01-a", "published_at": "2026-01-01T09:00:00", "langs": ["nl", "en"]},
                {"id": "2026-02-01-<b>", "published_at": "2026-02-01T09:00:00", "langs": ["nl"]}]
    page = index_html("en", editions)
    assert "<b>" not in page and "2026-02-01-&lt;b&gt;" in page
    assert page.index("2026-02-01-&lt;b&gt;") < page.index("2026-01-01-a")
    assert 'href="2026-01-01-a/html-en/editions.html"' in page and 'href="2026-01-01-a/html/index.html"' in page
    assert 'href="2026-02-01-&lt;b&gt;/html/editions.html"' in page  # no English copy: the Dutch page
    assert 'href="index.html"' in page and 'href="../html-en/index.html"' in page
    assert 'href="index-en.html"' in index_html("nl", editions)


def test_p_values_print_as_the_book_prints_them():
    base = _doc()
    base["results"]["scorecard"]["inference"].update({"p_ri": 0.064, "p_wild": 0.0004})
    new = copy.deepcopy(base)
    new["results"]["scorecard"]["inference"].update({"p_ri": 0.056, "p_wild": 0.0008})  # both "< 0,001"
    changes = _by_key(compare_pilot(base, new))
    assert set(changes) == {"p_ri"}
    assert format_value(changes["p_ri"].item, 0.064, "nl") == "0,064"
    assert format_change(changes["p_ri"], "nl") == "−0,008"
    assert format_value(changes["p_ri"].item, 0.0004, "en") == f"<{NBSP}0.001"


def test_whole_numbers_print_without_decimals():
    new = _doc(reach__target=1000)
    change = _by_key(compare_pilot(_doc(), new))["reach.target"]
    assert format_value(change.item, change.old, "nl") == "900"  # not "900,000"
    assert format_value(change.item, change.new, "nl") == "1.000"
    assert format_change(change, "en") == "+100"


def test_a_count_below_the_threshold_is_never_shown_even_if_a_results_file_carries_it():
    # 371 → 3 people in the outcome: 3 is below the threshold (10), so it is shown as suppressed
    new = _doc(reach__in_outcome_at_horizon=3)
    change = _by_key(compare_pilot(_doc(), new))["reach.in_outcome"]
    assert change.status == "hidden" and change.new is None and change.delta is None
    assert format_value(change.item, change.new, "en") == "suppressed (small number)"
    # with the pilot's own threshold from its snapshot (here 2: 3 may be shown)
    snap = {"code": {}, "pilots": {"p": {"results": _doc(), "disclosure_threshold": 2}}}
    low = copy.deepcopy(snap)
    low["pilots"]["p"]["results"] = new
    (pc,) = compare_editions(snap, low)
    assert _by_key(pc.changes)["reach.in_outcome"].new == 3
    high = copy.deepcopy(low)
    high["pilots"]["p"]["disclosure_threshold"] = 5
    (pc,) = compare_editions(snap, high)  # the larger of the two editions' thresholds applies
    assert _by_key(pc.changes)["reach.in_outcome"].new is None

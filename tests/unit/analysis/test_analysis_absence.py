"""`analysis.absence`: a failing precondition or a declared infeasibility becomes an explained
absence; anything else is a bug and propagates."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from evallib.analysis.absence import Absent, attempt, available, need, needs, reason_codes
from evallib.errors import EstimationError


def test_the_first_failing_precondition_names_the_reason_and_fn_is_not_called():
    called = []
    out = attempt("markov", lambda: called.append(1),
                  [need(True, "no_movement"), need(False, "step_not_occupied", step=6), need(False, "no_movement")])
    assert isinstance(out, Absent) and not called
    assert out.reason_code == "step_not_occupied" and out.fields == {"step": 6}
    assert out.reason("en") == "nobody in these data is ever on step 6."
    assert out.reason("nl") == "niemand staat in deze gegevens ooit op trede 6."


def test_checks_may_be_lazy_and_are_evaluated_in_order():
    seen = []

    def check(ok, code):
        def run():
            seen.append(code)
            return need(ok, code)
        return run

    out = attempt("x", lambda: 1, [check(False, "no_movement"), check(False, "no_cost")])
    assert out.reason_code == "no_movement" and seen == ["no_movement"]
    assert attempt("x", lambda: 42, [check(True, "no_cost"), lambda: None]) == 42


def test_an_absent_input_passes_its_reason_on():
    upstream = Absent("staggered_gt", "no_never_treated")
    out = attempt("staggered_simple", lambda: 1 / 0, [needs(upstream)])
    assert (out.what, out.reason_code) == ("staggered_simple", "no_never_treated")
    assert attempt("y", lambda: "ok", [needs("a result")]) == "ok"


def test_declared_infeasibility_becomes_an_absence():
    def raises(exc):
        def fn():
            raise exc
        return fn

    out = attempt("did", raises(EstimationError("did.staggered: need at least two periods in 'month'")))
    assert out.reason_code == "not_estimable" and "two periods" in out.reason("en")
    out = attempt("twfe", raises(ValueError("\n  All variables are collinear. Maybe your model ...")))
    assert out.reason_code == "collinear"
    out = attempt("event_study", raises(np.linalg.LinAlgError("Singular matrix")))
    assert out.reason_code == "collinear"


@pytest.mark.parametrize("exc", [KeyError("p_holm"), ValueError("something else"), TypeError("bug"),
                                 ZeroDivisionError()])
def test_other_exceptions_are_bugs_and_propagate(exc):
    def fn():
        raise exc
    with pytest.raises(type(exc)):
        attempt("x", fn)


def test_json_form_and_truthiness():
    a = Absent("cost", "no_cost")
    d = a.to_dict()
    assert d == {"available": False, "what": "cost", "reason_code": "no_cost",
                 "reason": {"nl": "de gegevens bevatten geen kosten en de parameters geen budget.",
                            "en": "the data hold no costs and the params no budget."}}
    assert not a and not available(a) and not available(None) and available(0.0)


def test_a_reason_without_text_is_refused():
    with pytest.raises(KeyError, match="absent_no_such_reason"):
        Absent("x", "no_such_reason")


def test_every_reason_has_both_languages_and_its_fields():
    from importlib.resources import files
    texts = yaml.safe_load(files("evallib").joinpath("catalogue", "absence.yaml").read_text(encoding="utf-8"))
    assert {"no_never_treated", "step_not_occupied", "no_subgroup_columns", "no_cost", "no_movement",
            "no_comparison_area", "horizon_beyond_data", "collinear", "not_estimable"} <= set(reason_codes())
    import string
    for key, value in texts.items():
        assert set(value) == {"nl", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(value[lang]) if f} for lang in ("nl", "en")]
        assert fields[0] == fields[1], key  # both languages take the same fields

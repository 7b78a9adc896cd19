"""Difference-in-differences estimators (DESIGN §5).

* `twfe`, `two_by_two` — regression DiD (pyfixest engine), results `DidResult`.
* `staggered` — Callaway & Sant'Anna (2021) group-time ATT(g,t), `GroupTimeResult.aggregate`.
* `event_study` — effects by periods since entry, valid under staggered adoption.
"""

from evallib.did._twfe import DidResult, DidSpec, twfe, two_by_two

__all__ = ["DidResult", "DidSpec", "two_by_two", "twfe"]

from evallib.did._staggered import (  # noqa: E402
    AggregateResult,
    GroupTimeResult,
    StaggeredSpec,
    staggered,
)

__all__ += ["AggregateResult", "GroupTimeResult", "StaggeredSpec", "staggered"]

from evallib.did._event_study import (  # noqa: E402
    EventStudyResult,
    EventStudySpec,
    PretrendTest,
    event_study,
)

__all__ += ["EventStudyResult", "EventStudySpec", "PretrendTest", "event_study"]


def headline(data, **kwargs):
    """The headline TWFE estimate with CRV1, wild-bootstrap and randomization-inference
    p-values, reliability label and MDE: `evallib.inference.assess` (same keywords)."""
    from evallib.inference import assess

    return assess(data, **kwargs)


__all__ += ["headline"]

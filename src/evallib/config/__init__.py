"""Pilot configuration: one YAML file per pilot under ``params/``, validated by :class:`PilotConfig`.

The params file is the only place where one pilot differs from another. Unknown keys and missing
keys are errors (papermill itself only warns on an unknown parameter), so a typo in a params file
stops the run before any notebook starts.
"""


from evallib.config.files import _params_path as _params_path
from evallib.config.files import freeze_plan, list_pilots, load_pilot
from evallib.config.models import (
    TARGET_GROUPS,
    AnalysisSettings,
    Area,
    DecisionRules,
    PilotConfig,
    PrimaryOutcome,
    Publication,
    ScaleUpPopulation,
    SimulationSettings,
    find_repo_root,
    params_hash,
)
from evallib.config.models import (
    Context as Context,
)
from evallib.config.models import (
    Source as Source,
)
from evallib.errors import ConfigError

__all__ = [
    "AnalysisSettings",
    "Area",
    "ConfigError",
    "DecisionRules",
    "PilotConfig",
    "PrimaryOutcome",
    "Publication",
    "ScaleUpPopulation",
    "SimulationSettings",
    "TARGET_GROUPS",
    "find_repo_root",
    "freeze_plan",
    "list_pilots",
    "load_pilot",
    "params_hash",
]

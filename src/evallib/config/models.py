"""The params schema: the pydantic models a pilot's ``params/<pilot>.yaml`` is validated against
(:class:`PilotConfig` and its parts). Loading and freezing are in :mod:`evallib.config.files`."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evallib.config.notes import Note
from evallib.errors import ConfigError

# Strings from the params reach the book as text (evallib.report.show.text escapes them); what can
# never be part of a legitimate name, label or source is refused here, with the file and the key:
# line breaks in names, and the characters that form HTML (< >), MyST roles and directives
# (backticks, { }, colon fences), escapes (backslash) and Markdown links.
_MARKUP = re.compile(r"[`<>{}\\]|:::|\]\(")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_BREAK = re.compile(r"[\r\n]")


def _plain_text(value, *, multiline: bool = False):
    """Refuse markup (and, unless ``multiline``, line breaks) in a params string or list of strings."""
    for item in value if isinstance(value, list | dict) else [value]:
        item = value[item] if isinstance(value, dict) else item
        if not isinstance(item, str):
            continue
        found = _MARKUP.search(item) or _CONTROL.search(item) or (None if multiline else _BREAK.search(item))
        if found:
            what = "a line break" if found.group(0) in "\r\n" else f"{found.group(0)!r}"
            raise ValueError(f"contains {what}: names, labels and sources are plain text (no HTML, "
                             "MyST roles or directives, backslashes or Markdown links"
                             + ("" if multiline else ", one line") + ")")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A public fact about the pilot with where it comes from (each a text, or ``{nl, en}``)."""

    fact: Note
    source: Note

    @field_validator("fact", "source")
    @classmethod
    def _plain(cls, value: Note) -> Note:
        _plain_text(value.texts(), multiline=True)
        return value


# params context.target_groups: each has a label tg_<slug> (nl, en) in catalogue/book.yaml
TARGET_GROUPS = ("inactive", "low-skilled", "newcomers learning Dutch", "under-30s", "single parents", "55+",
                 "people in social economy")


class Context(_Strict):
    """The pilot's real context, shown in its chapter (Dutch and English)."""

    name: str = Field(description="Display name of the pilot")
    promoter: str
    region: str
    period: str
    goal_nl: str
    goal_en: str
    target_groups: list[str]
    partners: list[str]
    budget_eur: float | None = None
    target_participants: int | None = None
    target_counts: Literal["participants", "primary_outcome"] = Field(
        default="participants",
        description="what the target counts: people taking part, or people in the primary outcome "
                    "(e.g. 'into work or training') — then the participants in it at the horizon are "
                    "compared with the target")
    facts: list[Source] = Field(default_factory=list)

    @field_validator("name", "promoter", "region", "period", "target_groups", "partners")
    @classmethod
    def _one_line(cls, value):
        return _plain_text(value)

    @field_validator("goal_nl", "goal_en")
    @classmethod
    def _plain(cls, value: str) -> str:
        return _plain_text(value, multiline=True)

    @field_validator("target_groups")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        # the book words each group from the catalogue: free text would fail only at book time
        unknown = [g for g in value if g not in TARGET_GROUPS]
        if unknown:
            raise ValueError(f"unknown target group(s) {', '.join(repr(g[:80]) for g in unknown)}; allowed: "
                             + ", ".join(repr(g) for g in TARGET_GROUPS))
        return value


class Area(_Strict):
    """An evaluation cluster: a municipality, a district or a group of municipalities."""

    area: str
    municipalities: dict[str, str] = Field(description="NIS code -> municipality name")
    pilot: bool = False
    entry: str | None = Field(
        default=None, description="month the pilot started in this area (YYYY-MM), area designs"
    )

    @field_validator("municipalities")
    @classmethod
    def _nis_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for code in value:
            if not (len(code) == 5 and code.isdigit()):
                raise ValueError(f"NIS code {code!r} must be 5 digits")
        return value

    @field_validator("area", "municipalities", "entry")
    @classmethod
    def _plain(cls, value):
        return _plain_text(value)


class SimulationSettings(_Strict):
    """Knobs of the demo-data simulator (see :mod:`evallib.simulate`)."""

    first_month: str
    n_months: int = Field(gt=6, le=240)
    persons_per_area: int = Field(gt=0)
    participation: float = Field(gt=0, le=1, description="share of eligible people who join")
    eligible_quantiles: tuple[float, float] = Field(
        description="band of the disadvantage index (quantiles within pilot areas) that is eligible"
    )
    entry_window: tuple[str, str] | None = Field(
        default=None, description="first and last entry month for person-level entry (YYYY-MM)"
    )
    effect_up: float = Field(description="log-odds shift of the monthly step-up probability")
    effect_relapse: float = Field(description="log-odds shift of the monthly fall-back probability")
    effect_up_from: list[int] = Field(
        default=[1, 2, 3, 4, 5], description="origin steps whose step-up probability the pilot raises"
    )
    ramp_months: int = Field(default=6, ge=1, description="months until the effect is at full size")
    cohort_heterogeneity: float = Field(
        default=0.5, ge=0, lt=1, description="earliest cohorts get 1+h times the effect, latest 1-h"
    )
    selection: float = Field(default=1.0, ge=0, description="strength of selection on disadvantage")
    cost_per_participant_month_eur: float = Field(ge=0)


class DecisionRules(_Strict):
    """The innovation centre's rules for a recommendation per pilot (shown next to each verdict).

    All effects are shares (0.03 = 3 percentage points) on the pilot's primary outcome
    (``headline_outcome``, from its goal) ``analysis.horizon`` months after entry, with the
    design-aware interval of `did.headline`. See :mod:`evallib.analysis.decision` for how they are
    applied.
    """

    policy_threshold: float = Field(
        default=0.03, gt=0, lt=1, description="smallest effect worth scaling (share, e.g. 0.03 = 3 pp)")
    scale_min_probability: float = Field(
        default=0.8, gt=0, lt=1, description="scale only if P(effect > threshold) is at least this")
    stop_max_probability: float = Field(
        default=0.1, gt=0, lt=1, description="stop if P(effect > threshold) is at most this")
    pretrend_min_p: float = Field(
        default=0.05, ge=0, lt=1, description="scale only if the pre-trend test has at least this p-value")
    robust_p_max: float = Field(
        default=0.05, gt=0, lt=1,
        description="with fragile (few-cluster) inference, scale only if wild bootstrap and RI p are below this")
    max_cost_per_additional_eur: float | None = Field(
        default=None, gt=0, description="scale only if the cost per additional person in work is at most this")
    min_target_share: float | None = Field(
        default=None, gt=0, le=1, description="scale only if participants reached at least this share of the target")
    placeholders: list[str] = Field(
        default_factory=list,
        description="rules whose value is a placeholder until the innovation centre sets its own "
                    "(names of the fields above); the decision note marks them as placeholders")

    @model_validator(mode="after")
    def _ordered(self) -> DecisionRules:
        if self.stop_max_probability >= self.scale_min_probability:
            raise ValueError("stop_max_probability must be below scale_min_probability")
        unknown = sorted(set(self.placeholders) - (set(type(self).model_fields) - {"placeholders"}))
        if unknown:
            raise ValueError(f"placeholders: unknown rule(s) {unknown}")
        return self


class PrimaryOutcome(_Strict):
    """The outcome the pilot is judged on and why: it follows from the pilot's own goal (its
    public description, ``source``). ``outcome`` must equal ``headline_outcome``: the headline,
    the scorecard, the decision, the summaries and the scale-up projection all use it."""

    outcome: str
    why_nl: str
    why_en: str
    source: Note = Field(description="where the goal is published: a text, or {nl: ..., en: ...}")

    @field_validator("why_nl", "why_en", "source")
    @classmethod
    def _plain(cls, value: str) -> str:
        _plain_text(value.texts() if isinstance(value, Note) else value, multiline=True)
        return value


class ScaleUpPopulation(_Strict):
    """The population a scale-up would reach, from a public count (or ``count: null`` if not public).
    ``kind``: who they are (the population of the primary outcome: jobseekers for an outcome of
    getting into work or training, employees for a pilot that moves employees up)."""

    label_nl: str
    label_en: str
    kind: Literal["jobseekers", "employees", "residents"] | None = None
    count: int | None = Field(default=None, gt=0, description="null when no public count is known")
    reference_date: str | None = None
    source: Note = Field(description="where the count comes from, or why it is missing: a text, or "
                                     "{nl: ..., en: ...}")

    @field_validator("label_nl", "label_en", "reference_date")
    @classmethod
    def _one_line(cls, value):
        return _plain_text(value)

    @field_validator("source")
    @classmethod
    def _plain(cls, value: Note) -> Note:
        _plain_text(value.texts(), multiline=True)
        return value


class Publication(_Strict):
    """Publication details of the pilot's book pages (params ``publication:``, optional): when the
    data were extracted and whom readers can contact. The book says "not given" for a missing one."""

    extract_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                     description="date of the data extract, YYYY-MM-DD")
    contact: str | None = Field(default=None, min_length=1,
                                description="whom to contact about this evaluation (a service, an e-mail address)")

    @field_validator("contact")
    @classmethod
    def _one_line(cls, value):
        return _plain_text(value)


class AnalysisSettings(_Strict):
    """How the chapter is estimated: horizons, bootstrap draws and windows (``analysis:`` in the
    params file; optional, every field has the default shown). The chapter's prose takes these
    numbers by glue, never typed. The random seed is the top-level ``seed``."""

    horizon: int = Field(
        default=12, ge=1, le=60,
        description="months after entry of the headline effect, the flows and the costs (default 12)")
    n_boot_dynamic: int = Field(
        default=499, ge=0, description="multiplier-bootstrap draws of the dynamic aggregation's "
                                       "uniform band (default 499)")
    wild_bootstrap_draws: int = Field(
        default=499, ge=0, description="wild cluster bootstrap draws of the headline test (default 499)")
    ri_max_assignments: int = Field(
        default=250, ge=1, description="randomization inference: most re-assignments drawn (default 250)")
    ladder_bootstrap_draws: int = Field(
        default=99, ge=0, description="cluster-bootstrap draws of the Markov projection (default 99)")
    chronogram_window: tuple[int, int] = Field(
        default=(-6, 24), description="first and last month since entry shown in the chronogram "
                                      "(default [-6, 24])")
    relapse_reached: list[Annotated[int, Field(ge=2, le=6)]] = Field(
        default=[5, 6], min_length=1, description="steps whose relapse is measured (default [5, 6])")
    relapse_horizons: list[Annotated[int, Field(ge=1, le=60)]] = Field(
        default=[6, 12], min_length=1,
        description="months after reaching a step within which a fall back counts (default [6, 12])")
    focus_steps: list[Annotated[int, Field(ge=1, le=5)]] = Field(
        default=[1, 2, 3, 4], min_length=1,
        description="origin steps of the pooled step-up effect when ladder_focus is [] "
                    "(default [1, 2, 3, 4])")
    time_to_work_months: int = Field(
        default=24, ge=1, description="months after entry shown in the time-to-work curve (default 24)")
    honest_did: bool = Field(
        default=True, description="HonestDiD sensitivity of the headline at the horizon (about 20 s of "
                                  "CPU per chapter; default true)")

    @model_validator(mode="after")
    def _ordered(self) -> AnalysisSettings:
        first, last = self.chronogram_window
        if first >= last:
            raise ValueError("chronogram_window: the first month must be before the last")
        if sorted(set(self.relapse_horizons)) != list(self.relapse_horizons):
            raise ValueError("relapse_horizons must be increasing and distinct")
        return self


class PilotConfig(_Strict):
    """Everything that differs between pilots. Read with :func:`load_pilot`."""

    pilot: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    context: Context
    design: Literal["person_staggered", "area_staggered"]
    cluster: str = "area"
    outcomes: list[str] = Field(min_length=1)
    headline_outcome: str
    primary_outcome: PrimaryOutcome | None = Field(
        default=None, description="why headline_outcome is the outcome the pilot is judged on (its goal)")
    data: str = Field(description="path of the pilot's panel, relative to the repository root")
    study_period: tuple[str, str]
    disclosure_threshold: int = Field(default=10, ge=1)
    event_window: tuple[int, int] = Field(default=(-6, 12), description="leads (negative), lags")
    seed: int = 20240101
    ladder_focus: list[Annotated[int, Field(ge=1, le=5)]] = Field(
        description="origin steps the pilot aims to move people up from (e.g. [5]: supported "
                    "to regular work); the chapter's ladder section leads with them; [] = none"
    )
    areas: list[Area] = Field(min_length=2)
    simulation: SimulationSettings
    spell_states: dict[str, Annotated[int, Field(ge=1, le=6)]] = Field(
        default_factory=dict,
        description="state of a spell -> ladder step 1-6, for evallib panel --spells (states are matched "
                    "without regard to case)")
    spell_priority: Literal["higher", "lower"] = Field(
        default="higher", description="where spells of a person overlap in a month, the higher (or lower) step wins")
    max_assessment_age: int = Field(
        default=12, ge=1, le=120,
        description="most months an assessment's ladder step holds, counting its own month (evallib panel "
                    "--assessments); later months are missing until the next assessment")
    decision: DecisionRules = Field(default_factory=DecisionRules)
    scale_up: ScaleUpPopulation | None = None
    publication: Publication = Field(default_factory=Publication,
                                     description="data extract date and contact shown in the book (optional)")
    analysis: AnalysisSettings = Field(
        default_factory=AnalysisSettings,
        description="estimation settings of the chapter (optional; defaults apply)")
    engine: EngineSettings = Field(
        default_factory=lambda: EngineSettings(),
        description="where `evallib run --engine spark` runs (optional; docs/engine.md)")
    analysis_plan_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="params_hash() of these params when the analysis plan was frozen (evallib freeze)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> PilotConfig:
        allowed = {"employed", "regular_work", "work_or_training", "ladder_step"}
        bad = [o for o in [*self.outcomes, self.headline_outcome] if o not in allowed]
        if bad:
            raise ValueError(f"unknown outcome(s) {bad}; allowed: {sorted(allowed)}")
        if self.headline_outcome not in self.outcomes:
            raise ValueError("headline_outcome must be one of outcomes")
        if self.primary_outcome is not None and self.primary_outcome.outcome != self.headline_outcome:
            raise ValueError(f"primary_outcome.outcome ({self.primary_outcome.outcome!r}) must equal "
                             f"headline_outcome ({self.headline_outcome!r}): the pilot is judged on one outcome")
        names = [a.area for a in self.areas]
        if len(set(names)) != len(names):
            raise ValueError("area names must be unique")
        if not any(a.pilot for a in self.areas):
            raise ValueError("at least one area must be a pilot area")
        if self.design == "area_staggered" and any(a.pilot and not a.entry for a in self.areas):
            raise ValueError("area_staggered design: every pilot area needs an entry month")
        if self.design == "person_staggered" and self.simulation.entry_window is None:
            raise ValueError("person_staggered design: simulation.entry_window is required")
        states = [s.strip().lower() for s in self.spell_states]
        if "" in states or len(set(states)) != len(states):
            raise ValueError("spell_states: each state once and not empty (states are matched without regard to case)")
        return self

    @property
    def plan_frozen(self) -> bool:
        """True if the params carry the hash of a frozen analysis plan."""
        return self.analysis_plan_sha256 is not None

    @property
    def plan_changed(self) -> bool:
        """True if the params differ from the analysis plan as frozen (``evallib freeze``).

        False when no plan was frozen (there is nothing to differ from: see :attr:`plan_frozen`).
        """
        return self.analysis_plan_sha256 is not None and params_hash(self) != self.analysis_plan_sha256

    @property
    def n_pilot_areas(self) -> int:
        return sum(a.pilot for a in self.areas)

    def data_path(self, root: Path | None = None) -> Path:
        return (root or find_repo_root()) / self.data

    def demo_data_path(self, root: Path | None = None) -> Path:
        return (root or find_repo_root()) / "data" / "demo" / self.pilot / "panel.parquet"


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest directory above ``start`` (default: cwd) that holds ``params/``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "params").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise ConfigError(f"no evallib project (a folder with params/ and pyproject.toml) above {here}")


def params_hash(config: PilotConfig) -> str:
    """SHA-256 of the validated params, for the manifest and the frozen analysis plan.

    Computed over canonical JSON (sorted keys) of the keys written in the params file, without
    ``analysis_plan_sha256`` itself. Comments and formatting do not change it; any changed value
    does. Keys left at their default are not included, so a later version of evallib that adds an
    optional key does not change the hash of an unchanged params file.
    """
    data = config.model_dump(mode="json", exclude_unset=True, exclude={"analysis_plan_sha256"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SparkSettings(_Strict):
    """``engine.spark`` of the params: the master URL and further Spark settings for
    ``evallib run --engine spark`` (EVALLIB_SPARK_MASTER / EVALLIB_SPARK_CONF override them)."""

    master: str | None = Field(
        default=None, pattern=r"^(local(\[(\*|[1-9][0-9]*)(,[1-9][0-9]*)?\])?|(spark|k8s|mesos)://\S+|yarn)$",
        description='e.g. "local[2]" (the default) or "spark://host:7077"')
    conf: dict[Annotated[str, Field(pattern=r"^spark\.[A-Za-z0-9_.-]+$")], str | int | float | bool] = Field(
        default_factory=dict, description='further Spark settings, e.g. {"spark.executor.memory": "8g"}')


class EngineSettings(_Strict):
    """``engine`` of the params: settings of the engines of ``evallib run --engine``."""

    spark: SparkSettings = Field(default_factory=SparkSettings)

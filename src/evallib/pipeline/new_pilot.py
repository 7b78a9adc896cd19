"""``evallib init-pilot NAME``: a commented ``params/<NAME>.yaml`` for a new pilot, to fill in.

The file written loads as it stands (:func:`evallib.config.load_pilot`), with placeholder values
marked ``FILL IN``, so that ``evallib validate`` can be run on the first data at once and speaks
about the data, not about the params syntax. Every key is explained where it stands; see
docs/adding-a-pilot.md for the steps around it.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from evallib.config import TARGET_GROUPS
from evallib.errors import ConfigError

__all__ = ["PILOT_NAME", "params_template", "write_params_template"]

PILOT_NAME = re.compile(r"[a-z][a-z0-9_]*")  # as PilotConfig.pilot: an identifier, never a path

_TEMPLATE = """\
# Params of the pilot '{name}', written by `evallib init-pilot {name}`.
# Replace every FILL IN; keep the keys. The file name must stay params/{name}.yaml (it equals
# the `pilot:` key). Steps: docs/adding-a-pilot.md. Columns of the data: data/README.md.
# Check with: evallib validate {data} --pilot {name}
pilot: {name}
context:                        # shown at the top of the pilot's chapter (plain text, no markup)
  name: "FILL IN: display name of the pilot"
  promoter: "FILL IN: who runs the pilot"
  region: "FILL IN: where (municipalities, district, province)"
  period: "FILL IN: e.g. 2024-2026"
  goal_nl: "FILL IN: het doel van de pilot, in een zin (Nederlands)."
  goal_en: "FILL IN: the pilot's goal, in one sentence (English)."
  target_groups: []              # FILL IN one or more of: {groups}
  partners: ["FILL IN: e.g. VDAB, OCMW"]
  budget_eur: null              # total budget in euro, or null if not public
  target_participants: null     # the pilot's own target number of participants, or null
  # optional: - {{fact: {{nl: "...", en: "..."}}, source: {{nl: "waar gepubliceerd", en: "where it is published"}}}}
  facts: []                     # every fact and source: one text (both editions) or {{nl: ..., en: ...}}
# person_staggered: people enter one by one (start_month per person);
# area_staggered: whole areas start at different months (an `entry` month per pilot area below)
design: person_staggered
cluster: area                   # the column whose values are the evaluation clusters
outcomes: [work_or_training, employed, regular_work]   # any of these and ladder_step
headline_outcome: work_or_training                      # one of the outcomes: the pilot's goal
# The outcome the pilot is judged on (headline, scorecard, decision, scale-up) follows from its
# own goal; `outcome` must equal headline_outcome. Optional: without it the chapter gives no
# reason for the choice.
primary_outcome:
  outcome: work_or_training
  why_nl: "FILL IN: waarom deze uitkomst het doel van de pilot is."
  why_en: "FILL IN: why this outcome is the pilot's goal."
  source:                       # one text (both editions) or the Dutch and the English edition's text
    nl: "FILL IN: waar het doel gepubliceerd is"
    en: "FILL IN: where the goal is published"
data: {data}   # the panel (CSV or Parquet), relative to the repository root
study_period: ["2024-01", "2025-12"]   # FILL IN: first and last month analysed (YYYY-MM)
disclosure_threshold: 10        # cells with fewer people are suppressed in the book
event_window: [-6, 12]          # months before (negative) and after entry in the event study
seed: 1                         # random seed of bootstraps and demo data
ladder_focus: []                # origin steps the pilot aims to move people up from, e.g. [3, 4]
# Every area that occurs in the data's `area` column, with its municipalities (NIS code: name).
# Pilot areas get `pilot: true` (and, in an area_staggered design, `entry: "YYYY-MM"`).
areas:
  - {{area: "FILL IN: pilot area", municipalities: {{"44021": Gent}}, pilot: true}}
  - {{area: "FILL IN: comparison area", municipalities: {{"41002": Aalst}}}}
# Demo data, used only while there is no file at `data:` (evallib simulate); keep it plausible.
simulation:
  first_month: "2024-01"
  n_months: 24
  persons_per_area: 50
  participation: 0.5            # share of eligible people in pilot areas who take part
  eligible_quantiles: [0.5, 1.0]
  effect_up: 0.5                # simulated effect (log-odds of stepping up)
  effect_relapse: -0.3          # simulated effect (log-odds of falling back from work)
  cost_per_participant_month_eur: 200
  entry_window: ["2024-07", "2024-12"]   # person_staggered: first and last entry month
# Optional blocks (defaults apply when left out): see params/westhoek_proeftuin.yaml for every key.
# spell_states: {{werkzoekend: 2, opleiding: 4, werk: 6}}   # for `evallib panel --spells`
# max_assessment_age: 12                                  # for `evallib panel --assessments`
# analysis: {{horizon: 12, n_boot_dynamic: 499, wild_bootstrap_draws: 499, ri_max_assignments: 250}}
# decision: {{policy_threshold: 0.03, scale_min_probability: 0.8, stop_max_probability: 0.1}}
# scale_up: {{kind: jobseekers, label_nl: "...", label_en: "...", count: null,
#            source: {{nl: "waar het aantal vandaan komt", en: "where the count comes from"}}}}
# publication: {{extract_date: "2025-01-31", contact: "FILL IN: service or e-mail"}}  # shown in the book
"""


def params_template(name: str) -> str:
    """The commented params file of a new pilot ``name`` (an identifier ``[a-z][a-z0-9_]*``)."""
    if not PILOT_NAME.fullmatch(name):
        raise ConfigError(f"pilot name {name!r}: expected a lower-case identifier (a letter, then letters, digits "
                          "or _), e.g. leuven_jobcoach; it becomes the file name params/<name>.yaml")
    return _TEMPLATE.format(name=name, data=f"data/{name}/panel.csv",
                            groups=", ".join(f'"{g}"' for g in TARGET_GROUPS))


def write_params_template(root: Path, name: str, *, force: bool = False) -> Path:
    """Write :func:`params_template` to ``root/params/<name>.yaml`` and return that path.

    Raises :class:`ConfigError` (nothing written) for a name that is not an identifier, a file
    that exists (unless ``force``), or a symbolic link at that path or a ``params`` folder that is
    a link (never followed, not even with ``force``). The file is written beside its place and
    renamed over it, so a link put there meanwhile is replaced, never written through.
    """
    text = params_template(name)
    folder = Path(root) / "params"
    path = folder / f"{name}.yaml"
    for p in (folder, path):
        if p.is_symlink():
            raise ConfigError(f"{p} is a symbolic link; nothing was written (init-pilot never follows a link)")
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; nothing was written (use --force to overwrite it)")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{path} is not a regular file; nothing was written")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".yaml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        if not force:  # no replace of a file created meanwhile: link fails if the name exists
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except FileExistsError:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path} already exists; nothing was written (use --force to overwrite it)") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

from pathlib import Path

import pytest
import yaml

from evallib.config import ConfigError, freeze_plan, list_pilots, load_pilot, params_hash

PILOTS = ["antwerpen_ondersteuningsnetwerk", "gent_mobiel_arbeidsteam", "westhoek_proeftuin"]


def test_every_pilot_has_valid_params(root):
    assert list_pilots(root) == PILOTS
    for p in PILOTS:
        assert load_pilot(p, root).pilot == p


def test_params_carry_the_public_context(root):
    gent = load_pilot("gent_mobiel_arbeidsteam", root)
    assert gent.context.target_participants == 900
    assert gent.context.budget_eur == 4_700_000
    west = load_pilot("westhoek_proeftuin", root)
    assert west.n_pilot_areas == 17
    assert any("7,073" in f.fact for f in west.context.facts)
    antw = load_pilot("antwerpen_ondersteuningsnetwerk", root)
    assert antw.n_pilot_areas == 3
    arrondissements = {next(iter(a.municipalities))[:2] for a in antw.areas if a.pilot}
    assert arrondissements == {"11", "12", "13"}  # NIS prefixes of Antwerpen, Mechelen, Turnhout


def _write(tmp_path: Path, root: Path, pilot: str, change) -> Path:
    raw = yaml.safe_load((root / "params" / f"{pilot}.yaml").read_text())
    change(raw)
    path = tmp_path / f"{pilot}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_unknown_key_is_an_error_naming_the_key(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r.update(clustr="area"))
    with pytest.raises(ConfigError, match=r"westhoek_proeftuin.yaml.*\n.*'clustr': unknown key"):
        load_pilot(path)


def test_missing_key_is_an_error(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r.pop("outcomes"))
    with pytest.raises(ConfigError, match="'outcomes': required but missing"):
        load_pilot(path)


def test_pilot_name_must_match_file(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r.update(pilot="westhoek"))
    with pytest.raises(ConfigError, match="must match"):
        load_pilot(path)


def test_analysis_block_is_optional_and_defaults_apply(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r.pop("analysis"))
    a = load_pilot(path).analysis
    assert (a.horizon, a.n_boot_dynamic, a.wild_bootstrap_draws, a.ri_max_assignments) == (12, 499, 499, 250)
    assert (a.ladder_bootstrap_draws, a.chronogram_window, a.focus_steps) == (99, (-6, 24), [1, 2, 3, 4])
    assert (a.relapse_reached, a.relapse_horizons, a.time_to_work_months) == ([5, 6], [6, 12], 24)
    # the params files write the defaults out: the same settings either way
    for p in PILOTS:
        assert load_pilot(p, root).analysis == a


def test_analysis_block_is_strict(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r["analysis"].update(horizn=6))
    with pytest.raises(ConfigError, match="'analysis.horizn': unknown key"):
        load_pilot(path)
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r["analysis"].update(chronogram_window=[6, -6]))
    with pytest.raises(ConfigError, match="chronogram_window"):
        load_pilot(path)
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r["analysis"].update(horizon=6))
    assert load_pilot(path).analysis.horizon == 6


def test_typo_in_pilot_name_lists_known_pilots(root):
    with pytest.raises(ConfigError, match="unknown pilot 'gent_mobiel'.*known pilots: antwerpen"):
        load_pilot("gent_mobiel", root)


# --- frozen analysis plan -------------------------------------------------------------------


def _copy_params(tmp_path: Path, root: Path, pilot: str = "gent_mobiel_arbeidsteam", newline: str = "\n") -> Path:
    path = tmp_path / f"{pilot}.yaml"
    text = (root / "params" / f"{pilot}.yaml").read_text(encoding="utf-8")
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_freeze_inserts_one_line_after_pilot_and_keeps_everything_else(tmp_path, root):
    path = _copy_params(tmp_path, root)
    before = path.read_text(encoding="utf-8").splitlines()
    original_hash = params_hash(load_pilot(path))
    _, digest, status = freeze_plan(path)
    after = path.read_text(encoding="utf-8").splitlines()
    assert status == "frozen" and digest == original_hash
    pilot_line = next(i for i, line in enumerate(before) if line.startswith("pilot:"))
    assert after[:pilot_line + 1] == before[:pilot_line + 1]      # comments above kept
    assert after[pilot_line + 1].startswith(f'analysis_plan_sha256: "{digest}"  # frozen ')
    assert after[pilot_line + 2:] == before[pilot_line + 1:]     # everything below kept
    config = load_pilot(path)
    assert config.plan_frozen and not config.plan_changed
    assert params_hash(config) == original_hash                  # the key itself is not hashed


def test_freeze_twice_is_a_no_op(tmp_path, root):
    path = _copy_params(tmp_path, root)
    freeze_plan(path)
    frozen = path.read_bytes()
    assert freeze_plan(path)[2] == "unchanged"
    assert path.read_bytes() == frozen


def test_freeze_keeps_windows_line_endings(tmp_path, root):
    path = _copy_params(tmp_path, root, newline="\r\n")
    freeze_plan(path)
    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")  # no bare \n introduced
    assert not load_pilot(path).plan_changed


def test_plan_changed_sees_values_not_comments_or_layout(tmp_path, root):
    path = _copy_params(tmp_path, root)
    freeze_plan(path)
    text = path.read_text(encoding="utf-8")
    path.write_text("# a new comment at the top\n" + text.replace("disclosure_threshold: 10",
                                                                 "disclosure_threshold:   10   # same value"))
    assert not load_pilot(path).plan_changed
    path.write_text(text.replace("disclosure_threshold: 10", "disclosure_threshold: 11"))
    assert load_pilot(path).plan_changed


def test_params_hash_ignores_key_order_and_formatting(tmp_path, root):
    original = _copy_params(tmp_path, root)
    raw = yaml.safe_load(original.read_text(encoding="utf-8"))
    reordered = tmp_path / "elsewhere" / original.name
    reordered.parent.mkdir()
    reordered.write_text(yaml.safe_dump(dict(reversed(list(raw.items()))), default_flow_style=True, width=60))
    assert params_hash(load_pilot(reordered)) == params_hash(load_pilot(original))
    raw["seed"] = raw["seed"] + 1
    reordered.write_text(yaml.safe_dump(raw))
    assert params_hash(load_pilot(reordered)) != params_hash(load_pilot(original))


def test_refreezing_a_changed_plan_needs_force(tmp_path, root):
    path = _copy_params(tmp_path, root)
    freeze_plan(path)
    path.write_text(path.read_text(encoding="utf-8").replace("disclosure_threshold: 10", "disclosure_threshold: 11"))
    with pytest.raises(ConfigError, match="params have changed since.*evallib freeze --force"):
        freeze_plan(path)
    assert load_pilot(path).plan_changed                         # nothing was written
    _, digest, status = freeze_plan(path, force=True)
    assert status == "refrozen" and not load_pilot(path).plan_changed
    assert path.read_text(encoding="utf-8").count("analysis_plan_sha256:") == 1


def test_a_malformed_plan_hash_is_an_error(tmp_path, root):
    path = _write(tmp_path, root, "westhoek_proeftuin", lambda r: r.update(analysis_plan_sha256="abc"))
    with pytest.raises(ConfigError, match="analysis_plan_sha256"):
        load_pilot(path)


def test_a_key_given_twice_is_an_error(tmp_path, root):
    path = _copy_params(tmp_path, root)
    path.write_text(path.read_text(encoding="utf-8") + "outcomes: [employed]\n")
    with pytest.raises(ConfigError, match="key 'outcomes' appears twice"):
        load_pilot(path)


def test_typo_in_pilot_name_suggests_the_closest(root):
    with pytest.raises(ConfigError, match="did you mean 'westhoek_proeftuin'"):
        load_pilot("westhoek_proeftuim", root)

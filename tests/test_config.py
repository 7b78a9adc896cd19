from pathlib import Path

import pytest
import yaml

from evallib.config import ConfigError, list_pilots, load_pilot

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


def test_typo_in_pilot_name_lists_known_pilots(root):
    with pytest.raises(ConfigError, match="unknown pilot 'gent_mobiel'.*known pilots: antwerpen"):
        load_pilot("gent_mobiel", root)

"""The chapter cache: computed once per key, recomputed when the key (data, params, code) changes."""

from __future__ import annotations

import pickle

import pytest

import evallib
from evallib.results import cache
from evallib.results.cache import chapter_cache_path, fingerprint, load_or_compute


class Counter:
    def __init__(self, value):
        self.calls = 0
        self.value = value

    def __call__(self):
        self.calls += 1
        return self.value


def test_computed_once_for_a_key_and_again_for_another(tmp_path):
    path = tmp_path / "work" / "chapter.pkl"
    compute = Counter({"att": 0.25, "rows": [1, 2]})
    assert load_or_compute(path, "k1", compute) == {"att": 0.25, "rows": [1, 2]}
    assert load_or_compute(path, "k1", compute) == {"att": 0.25, "rows": [1, 2]}
    assert compute.calls == 1
    assert (tmp_path / "work" / "chapter.pkl.key").read_text() == "k1"  # the key beside the pickle
    other = Counter("new")
    assert load_or_compute(path, "k2", other) == "new" and other.calls == 1
    assert load_or_compute(path, "k2", compute) == "new" and compute.calls == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["chapter.pkl", "chapter.pkl.key"]


def test_a_damaged_or_mismatched_pickle_is_recomputed(tmp_path):
    path = tmp_path / "c.pkl"
    load_or_compute(path, "k", Counter(1))
    path.write_bytes(b"not a pickle")
    again = Counter(2)
    assert load_or_compute(path, "k", again) == 2 and again.calls == 1
    # a key file that matches but a pickle stored under another key: recomputed
    path.write_bytes(pickle.dumps(("other", 99)))
    third = Counter(3)
    assert load_or_compute(path, "k", third) == 3 and third.calls == 1


def test_a_failing_computation_leaves_no_cache(tmp_path):
    path = tmp_path / "c.pkl"
    load_or_compute(path, "old", Counter(1))

    def boom():
        raise RuntimeError("estimation failed")

    with pytest.raises(RuntimeError, match="estimation failed"):
        load_or_compute(path, "new", boom)
    assert not (tmp_path / "c.pkl.key").exists()  # the old entry no longer matches any key
    fresh = Counter(5)
    assert load_or_compute(path, "old", fresh) == 5 and fresh.calls == 1


def test_fingerprint_depends_on_every_part_and_their_order(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    a.write_bytes(b"panel one")
    b.write_bytes(b"panel one")
    base = fingerprint(a, "params-hash")
    assert len(base) == 64 and base == fingerprint(a, "params-hash")
    assert fingerprint(b, "params-hash") == base  # a file counts by its contents, not its name
    b.write_bytes(b"panel two")
    assert fingerprint(b, "params-hash") != base
    assert fingerprint(a, "params-hash2") != base
    assert fingerprint("params-hash", a) != base
    # a file and the text of its path are different parts
    assert fingerprint(str(a), "params-hash") != base
    assert fingerprint({"seed": 1}) == fingerprint({"seed": 1}) != fingerprint({"seed": 2})


def test_a_change_to_evallibs_source_changes_the_fingerprint(tmp_path, monkeypatch):
    package = tmp_path / "evallib"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text("X = 1\n")
    monkeypatch.setattr(evallib, "__file__", str(package / "__init__.py"))

    def fresh_fingerprint():
        cache.source_hash.cache_clear()
        return fingerprint("data", "params")

    try:
        before = fresh_fingerprint()
        (package / "notes.txt").write_text("not source")
        assert fresh_fingerprint() == before
        (package / "sub" / "mod.py").write_text("X = 2\n")
        assert fresh_fingerprint() != before
        (package / "sub" / "mod.py").write_text("X = 1\n")
        assert fresh_fingerprint() == before
        (package / "sub" / "mod.py").rename(package / "mod.py")  # a moved file is another source
        assert fresh_fingerprint() != before
    finally:
        cache.source_hash.cache_clear()


def test_the_chapter_cache_lives_in_the_pilots_work_folder(tmp_path):
    assert chapter_cache_path(tmp_path / "build" / "results", "p") == tmp_path / "build" / "work" / "p" / "chapter.pkl"

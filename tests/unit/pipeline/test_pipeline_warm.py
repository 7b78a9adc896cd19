"""Warm kernels (evallib.pipeline): notebooks that run one after the other in one kernel do not see
each other's variables, figures or working directory; a failing notebook (cell error or a kernel
that dies) does not break the next one; both editions in one run give the same results file, and
a later edition that does not reproduce the first is reported; no kernel outlives the run.

The notebooks here are tiny templates in a scratch project (params/ copied; the panel is the
corpus' valid base, 8 persons), so each test takes seconds. The real notebooks in both editions
are in test_e2e.py / test_reproducible_run.py and the test at the end of this file.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from evallib.pipeline import BOOK_STAGE, _execute, _WarmKernel, parse_langs, run_pilots
from evallib.results.cache import chapter_cache_path, fingerprint, load_or_compute

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "tests" / "corpus" / "_valid_base.csv"  # a valid panel for the Ghent pilot
GENT = "gent_mobiel_arbeidsteam"

HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
:tags: [parameters]

pilot = "x"
data_path = ""
lang = "nl"
results_dir = "build/results"
manifest_path = ""
```
"""


def _template(path: Path, *cells: str, title: str = "t") -> Path:
    body = HEADER.format(title=title)
    for cell in cells:
        body += "\n```{code-cell} ipython3\n" + textwrap.dedent(cell).strip() + "\n```\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def _outputs(path: str | Path) -> list[str]:
    """The lines of every cell's printed and plain-text output of an executed notebook, in order
    (a print may reach the notebook as several stream outputs: they are joined per cell)."""
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        text = ""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text += out["text"]
            elif "text/plain" in out.get("data", {}):
                text += out["data"]["text/plain"] + "\n"
        texts += text.strip().splitlines()
    return texts


def _execution_counts(path: str | Path) -> list[int | None]:
    nb = nbformat.read(path, as_version=4)
    return [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.is_file() and stat.read_text().split()[2] == "Z"  # a zombie has exited


@pytest.fixture
def kernel(tmp_path):
    k = _WarmKernel(tmp_path)
    yield k
    k.close()


def _run(kernel, template: Path, tmp_path: Path, name: str, **params):
    return _execute(template, tmp_path / "out" / f"{name}.ipynb", {"pilot": name, **params}, "nl", tmp_path,
                    {}, name, kernel)


# --- one kernel, notebook after notebook ------------------------------------------------------
def test_notebooks_in_a_reused_kernel_do_not_see_each_others_state(tmp_path, kernel):
    (tmp_path / "elsewhere").mkdir()
    first = _template(tmp_path / "first.md", """
        import os
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        secret = 42
        fig = plt.figure()
        os.chdir("elsewhere")
        print("pid", os.getpid())
        """)
    second = _template(tmp_path / "second.md", """
        import os
        import sys
        import matplotlib.pyplot as plt
        print("pid", os.getpid())
        print("leaked", sorted(n for n in ("secret", "fig", "first_only") if n in globals()))
        print("figures", plt.get_fignums())
        print("cwd", os.getcwd())
        print("imported", "matplotlib" in sys.modules)
        """)
    a = _run(kernel, first, tmp_path, "a")
    b = _run(kernel, second, tmp_path, "b")
    assert (a.status, b.status) == ("OK", "OK"), (a, b)
    pid_a, pid_b = _outputs(a.output)[0], _outputs(b.output)[0]
    assert pid_a == pid_b  # the same kernel process ran both notebooks ...
    assert kernel.started == 1
    out = _outputs(b.output)[1:]
    assert out == ["leaked []", "figures []", f"cwd {tmp_path}", "imported True"]  # ... with nothing shared
    # execution counts restart at 1 in each notebook, as in a fresh kernel (parameters, injected
    # parameters, the cell)
    assert _execution_counts(a.output) == _execution_counts(b.output) == [1, 2, 3]


def test_a_failing_notebook_does_not_break_the_next_one(tmp_path, kernel):
    fails = _template(tmp_path / "fails.md", "leftover = 'from the failed notebook'", "raise ValueError('boom')")
    dies = _template(tmp_path / "dies.md", "import os\nos._exit(3)")
    check = _template(tmp_path / "check.md", """
        import os
        print("leftover" in globals(), os.getpid())
        """)
    ok = _run(kernel, check, tmp_path, "ok0")
    assert ok.status == "OK" and kernel.started == 1
    failed = _run(kernel, fails, tmp_path, "fails")
    assert failed.status == "FAILED" and failed.cell == 4 and failed.error == "ValueError: boom"
    after_error = _run(kernel, check, tmp_path, "ok1")
    assert after_error.status == "OK", after_error
    assert kernel.started == 2  # the kernel of the failed notebook was replaced
    leaked, pid = _outputs(after_error.output)[0].split()
    assert leaked == "False"
    assert _gone(int(_outputs(ok.output)[0].split()[1]))  # and shut down
    died = _run(kernel, dies, tmp_path, "dies")
    assert died.status == "FAILED" and died.error  # a dead kernel: not a cell error
    after_death = _run(kernel, check, tmp_path, "ok2")
    assert after_death.status == "OK", after_death
    assert kernel.started == 3
    assert _outputs(after_death.output)[0].split()[0] == "False"
    assert _gone(int(pid))


def test_closing_shuts_the_kernel_down(tmp_path):
    k = _WarmKernel(tmp_path)
    nb = _run(k, _template(tmp_path / "pid.md", "import os\nprint(os.getpid())"), tmp_path, "pid")
    pid = int(_outputs(nb.output)[0])
    assert not _gone(pid)
    k.close()
    assert _gone(pid) and k.km is None


# --- run_pilots with tiny templates: the pool, both editions, the results check ----------------------
def _tiny_project(tmp_path: Path, *first_cells: str) -> Path:
    """A project whose per-pilot notebooks record into the results file and report their kernel,
    and whose book stage is two notebooks that check nothing leaked into them."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    _template(project / "notebooks" / "pilot" / "01_first.md", *first_cells)
    _template(project / "notebooks" / "pilot" / "02_second.md", """
        import os
        import json
        from evallib.pipeline import Recorder, work_path
        record = Recorder(pilot, results_dir, threshold=10)
        earlier = json.loads(work_path(results_dir, pilot).read_text(encoding="utf-8"))["results"]
        record.add("seen_by_second", earlier.get("value") is not None)
        record.write()
        print(os.getpid(), "value" in globals())
        print("ended", __import__("time").time())
        """)
    check = """
        import os
        print(os.getpid(), sorted(n for n in ("record", "value", "Recorder") if n in globals()))
        """
    _template(project / "notebooks" / "overview.md", check)
    _template(project / "notebooks" / "summary.md", check)
    return project


RECORD = """
    import os
    from evallib.pipeline import Recorder
    record = Recorder(pilot, results_dir, threshold=10)
    value = {value}
    record.add("value", value)
    record.write()
    print(os.getpid(), value)
    """


def _pids(runs) -> set[int]:
    """The kernel processes that ran the notebooks (each prints its pid first)."""
    return {int(_outputs(nb.output)[0].split()[0]) for r in runs for nb in r.notebooks if nb.status == "OK"}


def test_both_editions_in_one_pool_of_warm_kernels(tmp_path):
    project = _tiny_project(tmp_path, RECORD.format(value="[1, 2, 3]"))
    runs = run_pilots([GENT], data=BASE, lang="nl,en", root=project, workers=2)
    assert [(r.pilot, r.lang, r.status) for r in runs] == [
        (GENT, "nl", "OK"), (BOOK_STAGE, "nl", "OK"), (GENT, "en", "OK"), (BOOK_STAGE, "en", "OK")]
    # 2 + 2 pilot notebooks and 2 x (overview + one summary per pilot) book notebooks ran in at most
    # two kernels (one per worker), and every one of them started clean
    pids = _pids(runs)
    assert 1 <= len(pids) <= 2
    for r in runs:
        for nb in r.notebooks:
            assert nb.status == "OK", nb
            line = _outputs(nb.output)[0]
            if nb.notebook == "02_second":
                assert line.endswith(" False")
            elif r.pilot == BOOK_STAGE:
                assert line.endswith(" []"), (nb.notebook, line)
    assert all(_gone(pid) for pid in pids)  # no kernel outlives the run
    results = json.loads((project / "build" / "results" / f"{GENT}.json").read_text())
    assert results["results"] == {"value": [1, 2, 3], "seen_by_second": True}
    for lang in ("nl", "en"):
        record = json.loads((project / "build" / f"run-{lang}.json").read_text())
        assert [(r["pilot"], r["lang"], r["status"]) for r in record] == [(GENT, lang, "OK"), (BOOK_STAGE, lang, "OK")]
        assert (project / "build" / "executed" / lang / GENT / "02_second.ipynb").is_file()
    manifest = json.loads((project / "build" / "manifest.json").read_text())
    assert manifest["pilots"][GENT]["lang"] == "nl" and manifest["pilots"][GENT]["status"] == "OK"


def test_in_process_runner_with_one_worker(tmp_path):
    project = _tiny_project(tmp_path, RECORD.format(value="7"))
    runs = run_pilots([GENT], data=BASE, lang="en", root=project, workers=1)
    assert [(r.pilot, r.lang, r.status) for r in runs] == [(GENT, "en", "OK"), (BOOK_STAGE, "en", "OK")]
    pids = _pids(runs)
    assert len(pids) == 1 and os.getpid() not in pids
    assert all(_gone(pid) for pid in pids)


def test_an_edition_that_does_not_reproduce_the_first_is_failed(tmp_path):
    # a value that changes from run to run: the English run cannot reproduce the Dutch results
    project = _tiny_project(tmp_path, RECORD.format(value="__import__('time').perf_counter_ns()"))
    runs = run_pilots([GENT], data=BASE, lang="nl,en", root=project, workers=2, book_stage=False)
    nl, en = runs
    assert (nl.lang, nl.status) == ("nl", "OK")
    assert (en.lang, en.status) == ("en", "FAILED")
    assert "not reproducible" in en.error and all(nb.status == "OK" for nb in en.notebooks)
    # the file left in place is the Dutch run's: the value its notebook printed
    kept = json.loads((project / "build" / "results" / f"{GENT}.json").read_text())["results"]["value"]
    printed = {r.lang: int(_outputs(r.notebooks[0].output)[0].split()[1]) for r in runs}
    assert printed["nl"] != printed["en"]
    assert kept == printed["nl"]
    assert not (project / "build" / "results" / f"{GENT}.incomplete.json").exists()


def test_a_failing_later_edition_keeps_the_first_editions_results(tmp_path):
    project = _tiny_project(tmp_path, RECORD.format(value="5"), "assert lang == 'nl', 'no English today'")
    runs = run_pilots([GENT], data=BASE, lang="nl,en", root=project, workers=2, book_stage=False)
    assert [(r.lang, r.status) for r in runs] == [("nl", "OK"), ("en", "FAILED")]
    assert runs[1].notebooks[0].error == "AssertionError: no English today"
    results = json.loads((project / "build" / "results" / f"{GENT}.json").read_text())
    assert results["results"] == {"value": 5, "seen_by_second": True}  # the Dutch run's file


def test_parse_langs():
    assert parse_langs("nl") == ["nl"]
    assert parse_langs("nl,en") == ["nl", "en"]
    assert parse_langs("en, nl,en") == ["en", "nl"]
    assert parse_langs("all") == ["nl", "en"]
    assert parse_langs(["en"]) == ["en"]
    for bad in ("fr", "nl,fr", "", ","):
        with pytest.raises(ValueError, match="--lang must be nl or en"):
            parse_langs(bad)


def test_a_pilots_editions_never_run_at_the_same_time(tmp_path):
    # two pilots x two editions on three workers: when Antwerp's Dutch run ends, a worker is free
    # while Ghent's (slow) Dutch run goes on; Ghent's English run must still wait for it, as both
    # write the same results file
    project = _tiny_project(tmp_path, f"""
        import time
        started = time.time()
        time.sleep(4 if (pilot, lang) == ("{GENT}", "nl") else 0.2)
        """, RECORD.format(value="pilot"), "print('started', started)")
    pilots = ["antwerpen_ondersteuningsnetwerk", GENT]
    runs = run_pilots(pilots, data=BASE, lang="nl,en", root=project, workers=3, book_stage=False)
    assert sorted((r.pilot, r.lang, r.status) for r in runs) == sorted(
        (p, lang, "OK") for p in pilots for lang in ("nl", "en"))
    spans: dict[str, dict[str, tuple[float, float]]] = {}
    for r in runs:
        first, second = (_outputs(nb.output) for nb in r.notebooks)
        spans.setdefault(r.pilot, {})[r.lang] = (float(first[-1].split()[1]), float(second[-1].split()[1]))
        value = json.loads((project / "build" / "results" / f"{r.pilot}.json").read_text())["results"]["value"]
        assert value == r.pilot
    for pilot, span in spans.items():
        assert span["nl"][1] <= span["en"][0], (pilot, span)  # the Dutch edition ended before the English began
    # the pilots ran side by side
    assert spans["antwerpen_ondersteuningsnetwerk"]["nl"][0] < spans[GENT]["nl"][1]


# --- the pilot's work folder: a chapter cache shared by the editions, deleted when the run ends ---
CACHED = """
    import os
    from pathlib import Path
    from evallib.results.cache import chapter_cache_path, fingerprint, load_or_compute

    def compute():
        with open(Path(results_dir).parent / "computed.txt", "a") as fh:  # outside the work folder
            fh.write(f"{lang}\\n")
        return {"value": 42}

    chapter = load_or_compute(chapter_cache_path(results_dir, pilot), fingerprint(Path(data_path)), compute)
    value = chapter["value"]
    print(os.getpid(), value)
    """


def test_both_editions_share_the_chapter_cache_and_the_work_folder_is_deleted(tmp_path):
    project = _tiny_project(tmp_path, CACHED, RECORD.format(value="value"))
    runs = run_pilots([GENT], data=BASE, lang="nl,en", root=project, workers=2, book_stage=False)
    assert [(r.lang, r.status) for r in runs] == [("nl", "OK"), ("en", "OK")]
    # computed by the first edition only; the second loaded it
    assert (project / "build" / "computed.txt").read_text() == "nl\n"
    assert all(_outputs(r.notebooks[0].output)[0].endswith(" 42") for r in runs)
    assert json.loads((project / "build" / "results" / f"{GENT}.json").read_text())["results"]["value"] == 42
    assert not (project / "build" / "work").exists()  # unsuppressed intermediates are gone


def test_the_work_folder_is_deleted_when_the_pilot_fails(tmp_path):
    project = _tiny_project(tmp_path, CACHED, "raise RuntimeError('late failure')")
    work = project / "build" / "work" / GENT
    # a cache left by an interrupted earlier run, under the very key this run will ask for
    load_or_compute(chapter_cache_path(project / "build" / "results", GENT), fingerprint(BASE.resolve()),
                    lambda: {"value": -1})
    runs = run_pilots([GENT], data=BASE, lang="nl,en", root=project, workers=1, book_stage=False)
    assert [(r.lang, r.status) for r in runs] == [("nl", "FAILED"), ("en", "FAILED")]
    assert runs[0].notebooks[0].error == "RuntimeError: late failure"
    assert (project / "build" / "computed.txt").read_text() == "nl\n"  # the stale cache was not used ...
    assert not work.exists()  # ... and nothing is left

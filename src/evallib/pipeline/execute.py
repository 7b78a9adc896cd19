"""Execute one notebook template with papermill, and the records of what ran.

A :class:`NotebookRun` is one executed notebook (OK or FAILED, with the failing cell and error);
a :class:`PilotRun` is one edition of one pilot (or of the book stage, named
:data:`~evallib.pipeline.templates.BOOK_STAGE`): its notebooks and status.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evallib.pipeline.kernels import _WarmKernel, single_threaded_blas
from evallib.pipeline.templates import KERNEL, load_template

__all__ = ["NotebookRun", "PilotRun"]


@dataclass
class NotebookRun:
    notebook: str
    status: str  # "OK" or "FAILED"
    output: str
    seconds: float
    cell: int | None = None
    error: str | None = None


@dataclass
class PilotRun:
    pilot: str
    lang: str
    data: str | None
    status: str  # "OK", "FAILED" (a notebook failed) or "BAD INPUT" (data or params refused)
    notebooks: list[NotebookRun] = field(default_factory=list)
    error: str | None = None
    run_id: str | None = None  # the `evallib run` that made it (see evallib.pipeline.lock)

    def to_dict(self) -> dict:
        return asdict(self)


def _to_run(d: dict) -> PilotRun:
    """A :class:`PilotRun` back from its ``to_dict()`` (as a worker process returns it)."""
    nbs = [NotebookRun(**n) for n in d.pop("notebooks")]
    return PilotRun(**d, notebooks=nbs)


def _execute(template: Path, out: Path, params: dict, lang: str, root: Path, names: dict[str, str],
             label: str, kernel: _WarmKernel | None = None) -> NotebookRun:
    """Execute one template with papermill, in ``kernel`` if given (else in a kernel of its own);
    a failure becomes a FAILED NotebookRun, never raises."""
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    single_threaded_blas()
    t0 = time.perf_counter()
    executing = False
    try:
        nb = load_template(template, lang, names)
        warm = {} if kernel is None else kernel.engine_kwargs()
        executing = True
        pm.execute_notebook(nb, str(out), parameters=params, kernel_name=KERNEL, cwd=str(root),
                            progress_bar=False, log_output=False, report_mode=False, **warm)
        result = NotebookRun(label, "OK", str(out), time.perf_counter() - t0)
    except pm.PapermillExecutionError as exc:
        result = NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                             cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # a kernel that died or did not start, a template that does not parse
        result = NotebookRun(label, "FAILED", str(out), time.perf_counter() - t0,
                             error=f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        if kernel is not None:
            kernel.drop(now=True)  # it may still be running the interrupted cell
        raise
    if kernel is not None:
        if result.status == "OK":
            kernel.reset()
        elif executing:
            kernel.drop()  # whatever the notebook left behind must not reach the next one
    return result

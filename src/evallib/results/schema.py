"""The JSON Schema (draft 2020-12) of ``build/results/<pilot>.json`` and of the scorecard in it.

The schema itself is ``results.schema.json`` beside this module. :func:`validate_results` and
:func:`validate_scorecard` raise :class:`ResultsSchemaError` naming the file and the key path
that fails, so a broken contract between the chapter and the synthesis stops the run with a
message a newcomer can act on.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator

from evallib.errors import EvallibError

__all__ = ["ResultsSchemaError", "results_schema", "scorecard_schema", "validate_results", "validate_scorecard"]


class ResultsSchemaError(EvallibError, ValueError):
    """A results document (or a scorecard) does not match the results schema."""


@cache
def results_schema() -> dict[str, Any]:
    """The schema of a results document (``{"pilot": ..., "results": {...}}``)."""
    text = files("evallib.results").joinpath("results.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def scorecard_schema() -> dict[str, Any]:
    """The schema of the scorecard alone (the ``results.scorecard`` block)."""
    schema = results_schema()
    return {"$schema": schema["$schema"], **schema["$defs"]["scorecard"]}


def _path(error) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(top level)"


def _check(doc: Any, schema: dict, source: str) -> None:
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"{source}: does not match the results schema ({len(errors)} problem(s)):"]
        for e in errors[:10]:
            lines.append(f"  - at {_path(e)}: {e.message}")
        raise ResultsSchemaError("\n".join(lines))


def validate_results(doc: Any, source: str = "results") -> None:
    """Raise :class:`ResultsSchemaError` (naming ``source`` and the failing key path) unless
    ``doc`` is a valid results document."""
    _check(doc, results_schema(), source)


def validate_scorecard(sc: Any, source: str = "scorecard") -> None:
    """Raise :class:`ResultsSchemaError` unless ``sc`` is a valid scorecard."""
    _check(sc, scorecard_schema(), source)

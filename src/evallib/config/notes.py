"""A params note in the book's two languages: :class:`Note`.

Notes such as where a fact, a goal or a count comes from (``source:`` in the params) are shown in
both editions of the book. In the params file a note is either a plain string (the same text in
both editions) or ``{nl: "...", en: "..."}``.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

__all__ = ["Note"]

_LANGS = ("nl", "en")


class Note(str):
    """A note with a Dutch and an English text. As a ``str`` it is the English text (what older
    code that treats the note as one string shows); :meth:`in_lang` gives the edition's text.

    Params accept a plain string (both languages) or a mapping with exactly the keys ``nl`` and
    ``en`` (non-empty strings); it is written back the same way (a plain string when both texts
    are equal), so the params hash of a file with plain strings does not change.
    """

    nl: str
    en: str

    def __new__(cls, nl: str, en: str | None = None) -> Note:
        en = nl if en is None else en
        obj = super().__new__(cls, en)
        obj.nl, obj.en = str(nl), str(en)
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # pickling (the chapter cache) keeps both texts
        return self.nl, self.en

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Note):
            return (self.nl, self.en) == (other.nl, other.en)
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"Note(nl={self.nl!r}, en={self.en!r})"

    def in_lang(self, lang: str) -> str:
        """The text of the edition ``lang`` (``"nl"`` or ``"en"``)."""
        if lang not in _LANGS:
            raise ValueError(f"lang must be one of {_LANGS}, got {lang!r}")
        return self.nl if lang == "nl" else self.en

    def texts(self) -> list[str]:
        """Both texts (Dutch, English), e.g. to check them for markup."""
        return [self.nl, self.en]

    def to_params(self) -> str | dict[str, str]:
        """As written in a params file: a plain string when both texts are equal."""
        return self.en if self.nl == self.en else {"nl": self.nl, "en": self.en}

    @classmethod
    def parse(cls, value: Any) -> Note:
        """A :class:`Note` from a params value: a string, or a mapping ``{nl: ..., en: ...}``."""
        if isinstance(value, Note):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict):
            keys = set(value)
            if keys != set(_LANGS):
                missing, extra = sorted(set(_LANGS) - keys), sorted(map(str, keys - set(_LANGS)))
                raise ValueError("expected a text, or both languages as {nl: ..., en: ...}"
                                 + (f"; missing {', '.join(missing)}" if missing else "")
                                 + (f"; unknown key(s) {', '.join(extra)}" if extra else ""))
            bad = [k for k in _LANGS if not isinstance(value[k], str) or not value[k].strip()]
            if bad:
                raise ValueError(f"{', '.join(bad)}: expected a non-empty text")
            return cls(value["nl"], value["en"])
        raise ValueError(f"expected a text, or both languages as {{nl: ..., en: ...}}; got {type(value).__name__}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.to_params() if isinstance(v, Note) else v))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        text = {"type": "string", "minLength": 1}
        return {"anyOf": [{"type": "string", "description": "the same text in both editions"},
                          {"type": "object", "properties": {"nl": text, "en": text},
                           "required": ["nl", "en"], "additionalProperties": False,
                           "description": "the Dutch and the English edition's text"}]}

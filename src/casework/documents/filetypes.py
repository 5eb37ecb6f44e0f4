"""Which kinds of file a case may hold (``data/file_types.json``), told by
content sniffing (the ``filetype`` package reads the first bytes; the name
and the client's Content-Type are not believed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import filetype

# filetype looks at most this far into a file.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    extension: str
    mime: str


@lru_cache(maxsize=1)
def allowed_types() -> dict[str, FileType]:
    raw = json.loads(resources.files("casework.documents").joinpath("data", "file_types.json").read_text("utf-8"))
    return {t["mime"]: FileType(t["extension"], t["mime"]) for t in raw["types"]}


def sniff(head: bytes) -> tuple[FileType | None, str | None]:
    """(the allowed type, None) or (None, what the bytes looked like: a MIME
    type, or None when nothing was recognised)."""
    found = filetype.guess(head[:SNIFF_BYTES])
    if found is None:
        return None, None
    allowed = allowed_types().get(found.mime)
    return (allowed, None) if allowed else (None, found.mime)

"""ICD-10-CM codes from the pinned library simple_icd_10_cm: look-up and search.

Importing the library parses its 10 MB XML (about 1.5 s), so the index (code,
description, billable) is built once per process, on first use, and kept in memory.
It is also written to the data folder (`$HMS_DATA_DIR/cache/icd10cm-<version>.json`,
keyed by the library's version), so later processes load it in about 0.1 s instead
of importing the library; `manage.py icd10_index` builds that file
ahead of time. Billable codes are the leaves of the classification; a category with
children (E11) is not billable.
"""

import json
import logging
import os
import re
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from django.conf import settings

from hms.patients.normalise import name_normalise

LIBRARY = "simple-icd-10-cm"
SEARCH_LIMIT = 20
CACHE_FORMAT = 2
CODE_LIKE = re.compile(r"[A-Z][0-9][0-9A-Z]{0,5}", re.ASCII)
WORDS = re.compile(r"[^\W_]+")
ASCII_SEPARATORS = str.maketrans({char: " " for char in map(chr, range(128)) if not char.isalnum()})
logger = logging.getLogger(__name__)


class Icd10Code(NamedTuple):
    code: str  # with its dot: "E11.9"
    description: str
    billable: bool


@dataclass(frozen=True)
class Icd10Index:
    """Columns in the classification's order; position i of each describes the same code."""

    codes: tuple[str, ...]  # with the dot: "E11.9"
    descriptions: tuple[str, ...]
    billable: tuple[bool, ...]
    words: tuple[str, ...]  # the description's words, normalised, as " w1 w2 ... "
    bare: tuple[str, ...]  # the code without its dot
    by_code: dict[str, int]  # bare code -> position
    source: str  # "library" or "cache"
    load_seconds: float

    def entry(self, position: int) -> Icd10Code:
        return Icd10Code(self.codes[position], self.descriptions[position], self.billable[position])


_index: Icd10Index | None = None
_lock = threading.Lock()


def code_normalise(code: str) -> str:
    """'e11.9', ' E119 ' -> 'E119' (no dot, upper case)."""
    return code.strip().upper().replace(".", "")


def code_with_dot(code: str) -> str:
    bare = code_normalise(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def icd10_index() -> Icd10Index:
    """The process's index, loaded on first call (from the cache file, else from the library)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _index_load()
    return _index


def icd10_index_build(*, write_cache: bool = True) -> Icd10Index:
    """Build the index from the library (slow) and, unless told not to, write the cache file."""
    started = time.perf_counter()
    columns = _columns_from_library()
    if write_cache:
        _cache_write(columns)
    return _index_from_columns(columns, source="library", started=started)


def icd10_lookup(code: str) -> Icd10Code | None:
    """The code (any case, with or without its dot), or None if ICD-10-CM has no such code."""
    index = icd10_index()
    position = index.by_code.get(code_normalise(code))
    return None if position is None else index.entry(position)


def icd10_billable_under(code: str) -> list[Icd10Code]:
    """The billable codes below a category or subcategory, the most general (shortest) first."""
    index = icd10_index()
    wanted = code_normalise(code)
    if wanted not in index.by_code:
        return []
    positions = [
        position
        for position, bare in enumerate(index.bare)
        if bare != wanted and bare.startswith(wanted) and index.billable[position]
    ]
    return [index.entry(position) for position in sorted(positions, key=lambda p: _general_first(index, p))]


def icd10_search(query: str, *, limit: int = SEARCH_LIMIT) -> list[Icd10Code]:
    """Codes matching `query`, billable ones first, at most `limit`.

    A query shaped like a code ("E11", "e11.9", "E119") matches codes starting with it,
    the shortest (most general) first. Anything else is words: every word must appear in
    the description, case and accents ignored ("type 2 diabetes"); among those, the
    words together as typed come first, then words that start description words, then
    the shortest (most general) descriptions.
    """
    index = icd10_index()
    compact = query.strip().upper().replace(" ", "")
    bare = compact.replace(".", "")
    if CODE_LIKE.fullmatch(bare) and compact.count(".") <= 1:
        return _by_code_prefix(index, bare, limit)
    words = _words(query)
    if not words:
        return []
    return _by_words(index, words, limit)


def _words(text: str) -> list[str]:
    """The words of `text`, lower case, accents dropped: "Sézary's disease" -> ["sezary", "s", "disease"]."""
    if text.isascii():  # nearly every description: a translation table is many times faster than a regex
        return text.lower().translate(ASCII_SEPARATORS).split()
    return WORDS.findall(name_normalise(text))


def _by_code_prefix(index: Icd10Index, prefix: str, limit: int) -> list[Icd10Code]:
    positions = [position for position, bare in enumerate(index.bare) if bare.startswith(prefix)]
    positions.sort(key=lambda position: _general_first(index, position))
    return [index.entry(position) for position in positions[:limit]]


def _general_first(index: Icd10Index, position: int) -> tuple[bool, int, int]:
    """Billable codes first; among them the shortest (most general: E11.9 before E11.641)."""
    return (not index.billable[position], len(index.bare[position]), position)


def _by_words(index: Icd10Index, words: list[str], limit: int) -> list[Icd10Code]:
    starts = [f" {word}" for word in words]
    phrase = " " + " ".join(words)
    ranked = []
    for position, text in enumerate(index.words):
        if all(word in text for word in words):
            ranked.append(
                (
                    not index.billable[position],
                    phrase not in text,  # the words together, in the order typed
                    not all(start in text for start in starts),  # each at the start of a word
                    len(text),  # then the most general wording
                    position,
                )
            )
    ranked.sort()
    return [index.entry(rank[-1]) for rank in ranked[:limit]]


def _columns_from_library() -> dict[str, list]:
    with warnings.catch_warnings():  # its use of a deprecated importlib.resources call is not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        # About 1.5 s: it parses the whole classification. The library ships no type information.
        import simple_icd_10_cm as cm  # type: ignore[import-untyped]

    columns: dict[str, list] = {"codes": [], "descriptions": [], "billable": [], "words": []}
    for code in cm.get_all_codes(with_dots=True):
        if cm.is_chapter_or_block(code):
            continue
        # A few descriptions carry a stray tab or line break from the source XML.
        description = " ".join(cm.get_description(code).split())
        columns["codes"].append(code)
        columns["descriptions"].append(description)
        columns["billable"].append(cm.is_leaf(code))
        columns["words"].append(f" {' '.join(_words(description))} ")
    return columns


def _index_from_columns(columns: dict[str, list], *, source: str, started: float) -> Icd10Index:
    codes = tuple(columns["codes"])
    bare = tuple(code.replace(".", "") for code in codes)
    return Icd10Index(
        codes=codes,
        descriptions=tuple(columns["descriptions"]),
        billable=tuple(columns["billable"]),
        words=tuple(columns["words"]),
        bare=bare,
        by_code={code: position for position, code in enumerate(bare)},
        source=source,
        load_seconds=time.perf_counter() - started,
    )


def _library_version() -> str:
    return metadata.version(LIBRARY)


def _cache_path() -> Path:
    return Path(settings.HMS_DATA_DIR) / "cache" / f"icd10cm-{_library_version()}.json"


def _index_load() -> Icd10Index:
    started = time.perf_counter()
    path = _cache_path()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if _cache_is_usable(payload):
            return _index_from_columns(payload, source="cache", started=started)
        logger.warning("Ignoring the ICD-10-CM cache %s: another format or library version", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring the ICD-10-CM cache %s: %s", path, exc)
    return icd10_index_build()


def _cache_is_usable(payload: object) -> bool:
    if not isinstance(payload, dict):
        return False
    if payload.get("format") != CACHE_FORMAT or payload.get("version") != _library_version():
        return False
    columns = [payload.get(name) for name in ("codes", "descriptions", "billable", "words")]
    lists = [column for column in columns if isinstance(column, list)]
    if len(lists) != len(columns):
        return False
    return bool(lists[0]) and len({len(column) for column in lists}) == 1


def _cache_write(columns: dict[str, list]) -> None:
    path = _cache_path()
    payload = {"format": CACHE_FORMAT, "version": _library_version(), **columns}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a reader in another process never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".icd10cm-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, ensure_ascii=False, separators=(",", ":"))
            os.chmod(temporary, 0o644)  # public reference data, read by every worker
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.warning("Could not write the ICD-10-CM cache %s: %s", path, exc)

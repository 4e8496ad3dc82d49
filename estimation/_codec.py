"""JSON encoding of frozen dataclasses (dates, enums, tuples, dicts), driven by type hints."""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from datetime import date
from enum import Enum
from typing import Any

from estimation.errors import EstimationInputError


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


@functools.cache
def _field_hints(kind: type) -> tuple[tuple[str, Any], ...]:
    """Each field's name and resolved type; resolving hints is slow, so once per class."""
    hints = typing.get_type_hints(kind)
    return tuple((name, hints[name]) for name in _field_names(kind))


def _plain_numbers(value: tuple[Any, ...] | list[Any]) -> bool:
    """True for a sequence of finite ints/floats (not bools): the bulk of a result."""
    return all(type(item) is int or (type(item) is float and math.isfinite(item)) for item in value)


def encode(value: Any) -> Any:
    """Plain JSON data for a dataclass tree; refuses NaN and infinities."""
    kind = type(value)
    # Exact-type fast paths first: a result holds some 40,000 numbers and pairs.
    if (kind is float and math.isfinite(value)) or kind is str or kind is int or value is None:
        return value
    if kind is tuple and _plain_numbers(value):
        return list(value)
    return _encode_other(value)


def _encode_other(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: encode(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, float) and not math.isfinite(value):
        raise EstimationInputError(f"result: {value!r} cannot be written as JSON")
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return list(value) if _plain_numbers(value) else [encode(item) for item in value]
    if isinstance(value, dict):
        return {str(encode(key)): encode(item) for key, item in value.items()}
    raise EstimationInputError(f"result: cannot encode {type(value).__name__} {value!r}")


def decode(kind: Any, value: Any, where: str = "result") -> Any:
    """Rebuild a value of type ``kind`` from JSON data produced by :func:`encode`."""
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        options = [option for option in arguments if option is not type(None)]
        return decode(options[0], value, where)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _decode_dataclass(kind, value, where)
    if origin is tuple:
        return _decode_tuple(arguments, value, where)
    if origin is dict:
        _expect(isinstance(value, dict), where, value, "an object")
        return {
            decode(arguments[0], key, where): decode(arguments[1], item, f"{where}.{key}")
            for key, item in value.items()
        }
    return _decode_scalar(kind, value, where)


def _decode_tuple(arguments: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    _expect(isinstance(value, list), where, value, "a list")
    if len(arguments) == 2 and arguments[1] is Ellipsis:
        if arguments[0] in (float, int) and _plain_numbers(value):
            kind = arguments[0]
            return tuple(float(item) for item in value) if kind is float else tuple(value)
        return tuple(decode(arguments[0], item, f"{where}[]") for item in value)
    pair_of_floats = all(argument is float for argument in arguments)
    if pair_of_floats and len(value) == len(arguments) and _plain_numbers(value):
        return tuple(float(item) for item in value)
    _expect(len(value) == len(arguments), where, value, f"{len(arguments)} items")
    return tuple(decode(a, item, where) for a, item in zip(arguments, value, strict=True))


def _decode_dataclass(kind: type, value: Any, where: str) -> Any:
    _expect(isinstance(value, dict), where, value, "an object")
    arguments = {}
    for name, hint in _field_hints(kind):
        if name not in value:
            raise EstimationInputError(f"{where}: missing field {name!r}")
        arguments[name] = decode(hint, value[name], f"{where}.{name}")
    return kind(**arguments)


def _decode_scalar(kind: Any, value: Any, where: str) -> Any:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if kind is date:
        _expect(isinstance(value, str), where, value, "a date")
        return date.fromisoformat(value)
    checks: dict[Any, tuple[tuple[type, ...], str]] = {
        float: ((int, float), "a number"),
        int: ((int,), "an integer"),
        bool: ((bool,), "true or false"),
        str: ((str,), "a string"),
    }
    if kind not in checks:
        raise EstimationInputError(f"{where}: unsupported type {kind!r}")
    accepted, wanted = checks[kind]
    ok = isinstance(value, accepted) and (kind is bool or not isinstance(value, bool))
    _expect(ok, where, value, wanted)
    return float(value) if kind is float else value


def _expect(condition: bool, where: str, value: Any, wanted: str) -> None:
    if not condition:
        raise EstimationInputError(f"{where}: {value!r} is not {wanted}")

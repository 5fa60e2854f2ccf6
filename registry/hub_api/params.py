"""Query parameters and URL parts as the Hub client sends them, checked before they reach a query.

Bad values answer 400 with a message that names the parameter; text containing control characters
never reaches the database (PostgreSQL refuses NUL bytes with an error, not a miss).
"""

from __future__ import annotations

import re
import unicodedata

from registry.errors import InvalidInput, RepositoryNotFound
from registry.models.publishers import NAME_PATTERN

_NAME = re.compile(NAME_PATTERN)
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)([KMBT]?)$", re.IGNORECASE)
_SCALE = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cs"} for c in text)


def text(value: str | None, name: str, *, max_length: int = 200) -> str:
    value = (value or "").strip()
    if has_control_characters(value):
        raise InvalidInput(f"{name} contains control characters")
    if len(value) > max_length:
        raise InvalidInput(f"{name} is longer than {max_length} characters")
    return value


def boolean(value: str | None, name: str, default: bool | None = False) -> bool | None:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, not {value[:40]!r}")


def integer(value: str | None, name: str, *, default: int, minimum: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {value[:40]!r}") from None
    if not minimum <= number <= maximum:
        raise InvalidInput(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def gigabytes(value: str | None, name: str) -> int | None:
    """A size in GB (10^9 bytes, fractions allowed) as bytes; None when absent."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number of GB, not {value[:40]!r}") from None
    if not 0 <= number <= 1e6:
        raise InvalidInput(f"{name} must be between 0 and 1000000 GB, not {value[:40]!r}")
    return int(number * 1e9)


def parameter_range(value: str | None) -> tuple[int | None, int | None]:
    """`num_parameters=min:6B,max:128B` (either bound optional) as numbers of parameters."""
    if not value:
        return None, None
    bounds: dict[str, int] = {}
    for part in value.split(","):
        key, _, amount = part.strip().partition(":")
        match = _NUMBER.match(amount.strip())
        if key not in {"min", "max"} or match is None:
            raise InvalidInput(f"num_parameters must look like min:6B,max:128B, not {value[:60]!r}")
        bounds[key] = int(float(match.group(1)) * _SCALE[match.group(2).upper()])
    return bounds.get("min"), bounds.get("max")


def repo_id(namespace: str, name: str) -> str:
    """`namespace/name`, or RepositoryNotFound for ids that cannot exist (the client's own rule)."""
    if not (_NAME.fullmatch(namespace) and _NAME.fullmatch(name)):
        raise RepositoryNotFound(f"Repository {namespace}/{name} not found: not a valid repository id.")
    return f"{namespace}/{name}"


def file_path(value: str) -> str:
    return "" if has_control_characters(value) else value

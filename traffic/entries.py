"""Lists of entries in a parsed JSON file (roads, connectors): each malformed entry is refused with its reason
and the well-formed ones around it are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def entries(raw: Any, key: str, what: str) -> list[Any]:
    """The list under `key` of a parsed file; ValueError (the whole file is refused) if there is none."""
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise ValueError(f'not a {what}: expected a JSON object with a "{key}" list')
    return raw[key]


def sort_out(items: list[Any], malformed: Callable[[Any], str | None], build: Callable[[Any], T],
             label: Callable[[int, Any], str]) -> tuple[list[T], list[str]]:
    """`build` of each item `malformed` finds nothing wrong with, and "label: problem" for each other one."""
    kept: list[T] = []
    refused: list[str] = []
    for i, item in enumerate(items):
        problem = malformed(item)
        if problem:
            refused.append(f"{label(i, item)}: {problem}")
        else:
            kept.append(build(item))
    return kept, refused

"""Sealing at rest for the dispatch shell's rows (alert notes and positions, crossing positions, message text):
the sensitive columns as one AES-256-GCM blob under an agency's key, the associated data "{table}/{row id}"
binding the blob to its row. Without keys (encryption at rest off) the columns are stored in clear."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from crypto.envelope import key_id_of
from psn.keys import LiveKeyring


def seal_columns(keys: LiveKeyring | None, agency: str, table: str, row_id: str,
                 values: Mapping[str, Any]) -> dict[str, Any]:
    """The column values to write: `values` in clear without keys, else None in each and the blob in `sealed`."""
    if keys is None:
        return {**values, "sealed": None, "key_id": None}
    blob = keys.seal(agency, orjson.dumps(dict(values)), f"{table}/{row_id}".encode())
    return {**dict.fromkeys(values), "sealed": blob, "key_id": key_id_of(blob)}


def open_columns(keys: LiveKeyring | None, table: str, row: Any, names: Sequence[str]) -> dict[str, Any]:
    """The sensitive columns of a stored row, opened when sealed."""
    if row.sealed is None:
        return {name: getattr(row, name) for name in names}
    if keys is None:
        raise RuntimeError(f"{table} rows are sealed but no keyring was given")
    values: dict[str, Any] = orjson.loads(keys.open(row.sealed, f"{table}/{row.id}".encode()))
    return {name: values.get(name) for name in names}

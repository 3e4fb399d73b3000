"""Near-valid messages for fuzzing the decoders: a real sample with exactly one field replaced, the values to
replace it with (around and beyond each bound, wrong types, non-finite numbers, huge integers, missing), and what
the protocol (docs/protocol.md) makes of each value — written out here, independently of telemetry/."""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from telemetry import Reason, Rejection, UnitRef
from tests.decoding import BELIZE

DELETE = object()  # as a replacement value: the field is removed

MAX_AGE_S = 7 * 24 * 3600.0  # a timestamp more than 7 days old is stale
MAX_FUTURE_S = 30.0  # more than 30 s ahead is in the future

# Times as RFC 3339 strings, with the epoch seconds each names (`date -u -d @…`), or why it is no time at all.
# They sit around 2025-11-29T02:24:00Z (1764383040, the NOW of the decoders' tests): the last second before
# stale (7 days back) and the first after the future limit (30 s ahead) are among them.
TIMES: dict[str, float | Reason] = {
    "2025-11-29T02:23:59Z": 1764383039.0,
    "2025-11-29T02:23:59.250+00:00": 1764383039.25,
    "2025-11-28T20:23:59-06:00": 1764383039.0,  # Belize time
    "2025-11-22T02:24:00Z": 1763778240.0,  # exactly 7 days old
    "2025-11-22T02:23:59Z": 1763778239.0,
    "2025-11-29T02:24:30Z": 1764383070.0,  # exactly 30 s ahead
    "2025-11-29T02:24:31Z": 1764383071.0,
    "2025-11-29T02:23:59": Reason.BAD_FIELD,  # no time zone
    "29/11/2025 02:23:59": Reason.BAD_FIELD,
    "yesterday": Reason.BAD_FIELD,
    "1764383039": Reason.BAD_FIELD,  # epoch seconds are a number, not a string
    "NaN": Reason.BAD_FIELD,
    "inf": Reason.BAD_FIELD,
    "": Reason.BAD_FIELD,
}


def mutated(sample: bytes, field: str, value: object) -> bytes:
    """`sample` with `field` set to `value`, or removed for DELETE. Python's json writes NaN and ±inf as the bare
    tokens NaN and Infinity, which JSON does not have (RFC 8259 §6): such a document is malformed."""
    obj = json.loads(sample)
    if value is DELETE:
        obj.pop(field, None)
    else:
        obj[field] = value
    return json.dumps(obj).encode()


@dataclass(frozen=True)
class Number:
    """A JSON number valid in [low, high]; when `required`, absent or null is refused, else it means not given."""

    low: float
    high: float
    required: bool = False


def note(field: str, outcome: object) -> None:
    """Tallies what each field's values came to (`pytest --hypothesis-show-statistics`): the range checks must
    be reached, not only the type checks."""
    if currently_in_test_context():  # the sweeps run outside hypothesis
        event(f"{field}: {outcome.value if isinstance(outcome, Reason) else 'accepted'}")


def unrepresentable(value: object) -> bool:
    """NaN, ±inf (written as bare tokens) and integers beyond any double: no JSON number, in any field, so the
    whole document is refused as malformed."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and abs(value) >= 2**1024


def number_outcome(spec: Number, value: object) -> Reason | float | None:
    """The refusal the protocol gives `value` in a number field, or the number kept (None: not given)."""
    if value is DELETE or value is None:
        return Reason.MISSING_FIELD if spec.required else None
    if unrepresentable(value):
        return Reason.MALFORMED_JSON
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Reason.BAD_FIELD  # a number in a string ("17.5", "NaN") too
    number = float(value)
    return number if spec.low <= number <= spec.high else Reason.OUT_OF_RANGE


# Coordinates must also lie inside the service area (Belize, tests/decoding.py).
SERVICE_AREA = {"lat": (BELIZE.south, BELIZE.north), "lon": (BELIZE.west, BELIZE.east)}


def field_outcome(field: str, spec: Number, value: object) -> Reason | float | None:
    """`number_outcome`, and for a coordinate the service area too."""
    kept = number_outcome(spec, value)
    low, high = SERVICE_AREA.get(field, (-math.inf, math.inf))
    return Reason.OUTSIDE_SERVICE_AREA if isinstance(kept, float) and not low <= kept <= high else kept


def refused(result: object, outcome: object, who: UnitRef, case: object) -> bool:
    """Whether `outcome` is a refusal, having checked that `result` is exactly it: its reason, a detail, for `who`."""
    if not isinstance(outcome, Reason):
        return False
    assert isinstance(result, Rejection) and result.reason is outcome, (case, result)
    assert result.detail and result.who == who, (case, result)
    return True


def timestamp_outcome(value: object, now: float) -> Reason | float:
    """A required time: epoch seconds or RFC 3339 with a zone, neither stale nor in the future."""
    ts = TIMES[value] if isinstance(value, str) else number_outcome(Number(-math.inf, math.inf, True), value)
    if isinstance(ts, Reason):
        return ts
    assert ts is not None
    if ts > now + MAX_FUTURE_S:
        return Reason.FUTURE_TIMESTAMP
    if ts < now - MAX_AGE_S:
        return Reason.STALE_TIMESTAMP
    return ts


def edges(low: float, high: float) -> list[float]:
    """Each bound, the next double inside and outside it, one beyond it, and zero."""
    return [low, high, math.nextafter(low, -math.inf), math.nextafter(high, math.inf),
            math.nextafter(low, math.inf), math.nextafter(high, -math.inf), low - 1, high + 1, 0, -0.0]


def around(low: float, high: float) -> st.SearchStrategy[object]:
    """The edges, and any number in a band as wide again as the range on each side."""
    span = high - low
    return (st.sampled_from(edges(low, high)) | st.floats(low - span, high + span)
            | st.integers(math.floor(low - span), math.ceil(high + span)))


SMALL = st.integers(-1000, 1000) | st.text(max_size=4) | st.none()
# Values of no valid number or time, text apart: missing, null, booleans, bare non-finite numbers, integers
# beyond a double's exact range (2^53) and beyond its range (2^1024), arrays and nested objects.
WRONG_NOT_TEXT: st.SearchStrategy[object] = (
    st.sampled_from([DELETE, None, True, False, math.nan, math.inf, -math.inf, 10**400, -(10**400)])
    | st.integers(2**53, 2**70) | st.integers(-(2**70), -(2**53))
    | st.lists(SMALL, max_size=3) | st.dictionaries(st.text(max_size=6), SMALL, max_size=3)
    | st.dictionaries(st.text(max_size=3), st.dictionaries(st.text(max_size=3), SMALL, max_size=2), max_size=2)
)
# Text in a number field: numbers and non-finite numbers written as strings, and any text.
WRONG_TEXT: st.SearchStrategy[object] = (
    st.sampled_from(["17.5", "-88.2", "NaN", "nan", "inf", "-Infinity", "1e400", "0x10", ""]) | st.text(max_size=12)
)


# One of each kind of wrong value, for the deterministic sweeps beside the fuzz.
WRONG_EXAMPLES: list[object] = [DELETE, None, True, False, math.nan, math.inf, 10**400, 2**64, [17.5], {"v": {"w": 1}},
                                "17.5", "NaN", "inf", ""]


def field_sweep(field: str, spec: Number) -> list[object]:
    area = edges(*SERVICE_AREA[field]) if field in SERVICE_AREA else []
    return [*edges(spec.low, spec.high), *area, *WRONG_EXAMPLES]


def timestamp_sweep(now: float) -> list[object]:
    return [*edges(now - MAX_AGE_S, now + MAX_FUTURE_S), *TIMES, *(v for v in WRONG_EXAMPLES if type(v) is not str)]


def field_values(field: str, spec: Number) -> st.SearchStrategy[object]:
    near = around(spec.low, spec.high)
    values = st.one_of(near, near, WRONG_NOT_TEXT, WRONG_TEXT)  # half of them numbers near the bounds
    return values | around(*SERVICE_AREA[field]) if field in SERVICE_AREA else values


def timestamp_values(now: float) -> st.SearchStrategy[object]:
    near = around(now - MAX_AGE_S, now + MAX_FUTURE_S)
    return st.one_of(near, near, st.sampled_from(sorted(TIMES)), WRONG_NOT_TEXT)


# A status word (docs/protocol.md): 1 to 32 of these characters.
WORD_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "_-")


def is_status_word(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 32 and set(value) <= WORD_CHARACTERS


# Words at and beyond the length limits, and near misses: capitals, a space, a trailing newline, non-ASCII letters.
WORD_EDGES = ["on_scene", "a", "a" * 32, "", "a" * 33, "On_scene", "on scene", "patrol\n", "ñandú", "0", "-_"]


def word_values() -> st.SearchStrategy[object]:
    """Words of every length around the limit, the near misses above, and any short text or other JSON value."""
    word = st.text(alphabet=sorted(WORD_CHARACTERS), min_size=0, max_size=34)
    return word | st.sampled_from(WORD_EDGES) | st.text(max_size=12) | WRONG_NOT_TEXT | st.integers(-5, 5)

"""Hypothesis strategies that turn a real SDP offer into a plausible broken one, and the request around it.

Edits: drop, duplicate or swap lines; corrupt a field of an m=, a=mid, a=group, a=rtpmap, a=fingerprint,
a=setup or a=ice-ufrag line; truncate; insert or substitute random bytes; pad past psn's 64 KiB limit.
Whatever comes out, every line that mentions a candidate is removed last, so psn never gets an address to
send ICE checks to (tests/video/offers.py)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

TARGETS = ("m=", "a=mid:", "a=group:", "a=rtpmap:", "a=fingerprint:", "a=setup:", "a=ice-ufrag:")
# Values a sloppy or hostile client might put in a field: empty, numeric edge cases, other kinds, roles, junk.
VALUES = ("", "0", "-1", "65536", "99999999999999999999", "audio", "video", "text", "application", "0 1 2",
          "BUNDLE", "actpass", "active", "passive", "holdconn", "sha-256", "sha-1 00", "ZZ:ZZ", "VP8/0",
          "H264/90000", "opus/48000/2", "rtx/x", ":", " ", "\t", "é", "\x00")
CONTENT_TYPES = ("application/sdp", "application/sdp; charset=utf-8", "APPLICATION/SDP", "text/plain",
                 "application/json", "application/trickle-ice-sdpfrag", "")
MAX_SDP_BYTES = 64 * 1024  # psn's limit (video.http.HttpConfig.max_sdp_bytes)


@dataclass(frozen=True)
class Edit:
    """One edit; `at` and `to` are taken modulo the number of lines (or matching lines) when applied."""

    kind: str
    at: int = 0
    to: int = 0
    target: str = ""
    value: bytes = b""

    def apply(self, lines: list[bytes]) -> list[bytes]:
        if not lines:
            return lines
        i, j = self.at % len(lines), self.to % len(lines)
        if self.kind == "drop":
            return lines[:i] + lines[i + 1:]
        if self.kind == "duplicate":
            return [*lines[:i], lines[i], *lines[i:]]
        if self.kind == "swap":
            swapped = list(lines)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            return swapped
        if self.kind == "insert":
            return [*lines[:i], self.value, *lines[i:]]
        if self.kind == "corrupt":
            return self._corrupt(lines)
        raise ValueError(self.kind)

    def _corrupt(self, lines: list[bytes]) -> list[bytes]:
        matching = [n for n, line in enumerate(lines) if line.startswith(self.target.encode())]
        if not matching:
            return lines
        n = matching[self.at % len(matching)]
        head, rest = lines[n][: len(self.target)], lines[n][len(self.target):]
        fields = rest.split(b" ")
        fields[self.to % len(fields)] = self.value
        return [*lines[:n], head + b" ".join(fields), *lines[n + 1:]]


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str


def strip_candidates(body: bytes) -> bytes:
    return b"\n".join(line for line in body.split(b"\n") if b"candidate" not in line.lower())


positions = st.integers(min_value=0, max_value=10_000)
values = st.one_of(st.sampled_from(VALUES), st.text(max_size=12), st.integers().map(str)).map(
    lambda v: v.encode())
edits = st.one_of(
    st.builds(Edit, st.sampled_from(("drop", "duplicate")), positions),
    st.builds(Edit, st.just("swap"), positions, positions),
    st.builds(Edit, st.just("corrupt"), positions, positions, st.sampled_from(TARGETS), values),
    st.builds(Edit, st.just("insert"), positions, value=values),
)


@st.composite
def requests(draw: st.DrawFn, offer: str) -> Request:
    """A mutated `offer` in a request: mostly line edits, sometimes truncation, raw bytes or padding."""
    lines = offer.encode().split(b"\r\n")
    for edit in draw(st.lists(edits, min_size=1, max_size=4)):
        lines = edit.apply(lines)
    body = b"\r\n".join(lines)
    shape = draw(st.sampled_from(("edited",) * 7 + ("truncated", "random bytes", "huge")))
    if shape == "truncated":
        body = body[: draw(st.integers(min_value=0, max_value=len(body)))]
    elif shape == "random bytes":  # a line of them, or the whole body
        noise = draw(st.binary(max_size=4096))
        among_lines = draw(st.booleans())
        body = b"\r\n".join(Edit("insert", draw(positions), value=noise).apply(lines)) if among_lines else noise
    elif shape == "huge":
        body += b"a=x-padding:" + b"0" * draw(st.integers(MAX_SDP_BYTES, 4 * MAX_SDP_BYTES)) + b"\r\n"
    # One request in eight has a content type picked from all of them, right or wrong.
    any_type = draw(st.integers(min_value=0, max_value=7)) == 0
    content_type = draw(st.sampled_from(CONTENT_TYPES if any_type else CONTENT_TYPES[:3]))
    return Request(strip_candidates(body), content_type)

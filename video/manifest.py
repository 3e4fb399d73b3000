"""Evidence manifests: segments chained by SHA-256 and signed with Ed25519.  Pure logic, no I/O.

Each segment entry carries the SHA-256 of the plaintext segment (what a court
plays) and of the sealed blob at rest, and a chain value
``chain_i = SHA-256(chain_{i-1} || canonical(entry_i))`` whose start is the
hash of the recording header, so a segment can be neither altered, removed,
reordered nor moved to another recording without breaking the chain.  The
signature covers the canonical JSON of the whole manifest.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "psn-video-evidence/1"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SegmentEntry:
    index: int
    name: str
    start: float  # wall clock, Unix seconds
    end: float
    size: int  # plaintext bytes
    sha256: str  # plaintext segment
    sealed_sha256: str  # encrypted blob at rest
    chain: str = ""

    def chained_fields(self) -> dict[str, Any]:
        fields = asdict(self)
        del fields["chain"]
        return fields


@dataclass(frozen=True)
class Manifest:
    recording_id: str
    stream_id: str
    unit: str
    agency: str
    started: float
    codecs: Mapping[str, str] = field(default_factory=dict)
    segments: tuple[SegmentEntry, ...] = ()
    format: str = FORMAT

    def header(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_json().items() if k != "segments"}

    def genesis(self) -> str:
        return sha256_hex(canonical(self.header()))

    def head(self) -> str:
        return self.segments[-1].chain if self.segments else self.genesis()

    def append(self, entry: SegmentEntry) -> Manifest:
        """The manifest with ``entry`` chained on (its index and chain are assigned here)."""
        entry = replace(entry, index=len(self.segments), chain="")
        link = sha256_hex(bytes.fromhex(self.head()) + canonical(entry.chained_fields()))
        return replace(self, segments=(*self.segments, replace(entry, chain=link)))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["codecs"] = dict(self.codecs)
        data["segments"] = [asdict(s) for s in self.segments]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        fields = dict(data)
        fields["segments"] = tuple(SegmentEntry(**s) for s in data.get("segments", ()))
        return cls(**fields)

    def segment_times(self, start: float, end: float) -> list[SegmentEntry]:
        """Segments overlapping [start, end]."""
        return [s for s in self.segments if s.end >= start and s.start <= end]


@dataclass(frozen=True)
class SignedManifest:
    manifest: Manifest
    signature: str  # base64 Ed25519 over canonical(manifest.to_json())
    public_key: str  # base64 raw Ed25519 key of the signer

    def to_json(self) -> dict[str, Any]:
        return {"manifest": self.manifest.to_json(), "signature": self.signature, "public_key": self.public_key}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedManifest:
        return cls(Manifest.from_json(data["manifest"]), data["signature"], data["public_key"])


def raw_public_key(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(manifest: Manifest, key: Ed25519PrivateKey) -> SignedManifest:
    signature = key.sign(canonical(manifest.to_json()))
    return SignedManifest(manifest, base64.b64encode(signature).decode(), raw_public_key(key.public_key()))


@dataclass
class Report:
    """The outcome of a verification; ``failures`` name what failed (segment names where a segment is at fault)."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def verify_manifest(signed: SignedManifest, trusted_key: str | None = None) -> Report:
    """Signature (against ``trusted_key`` when given, else the embedded key) and chain of every entry."""
    report = Report()
    key_b64 = trusted_key or signed.public_key
    if trusted_key is not None and trusted_key != signed.public_key:
        report.failures.append("manifest: signed by a key other than the trusted one")
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64)).verify(
            base64.b64decode(signed.signature), canonical(signed.manifest.to_json())
        )
    except (InvalidSignature, ValueError):
        report.failures.append("manifest: Ed25519 signature does not match")
    expected = Manifest.from_json({**signed.manifest.to_json(), "segments": []})
    for position, entry in enumerate(signed.manifest.segments):
        if entry.index != position:
            report.failures.append(f"{entry.name}: index {entry.index} out of order (position {position})")
        expected = expected.append(entry)
        if expected.segments[-1].chain != entry.chain:
            report.failures.append(f"{entry.name}: hash chain broken")
            break
    return report


def verify_segments(manifest: Manifest, segments: Mapping[str, bytes], required: list[str]) -> Report:
    """Each given plaintext segment matches its manifest entry; every ``required`` name is present."""
    report = Report()
    entries = {s.name: s for s in manifest.segments}
    for name in required:
        if name not in segments:
            report.failures.append(f"{name}: missing from the bundle")
    for name, data in sorted(segments.items()):
        entry = entries.get(name)
        if entry is None:
            report.failures.append(f"{name}: not in the manifest")
        elif entry.size != len(data) or entry.sha256 != sha256_hex(data):
            report.failures.append(f"{name}: SHA-256 does not match the manifest (altered)")
        else:
            report.checked.append(name)
    return report

"""Evidence bundles: export a time range of a stream's recordings, and verify a bundle as a court would.

A bundle is a directory::

    export.json                      stream, range, and the segments exported per recording
    README.txt                       how to verify
    <recording_id>/manifest.json     the recorder's signed manifest, byte for byte
    <recording_id>/<seg-NNNNNN.mkv>  decrypted segments (plain Matroska, playable)

Verification needs no keys but the signer's public key: it checks each
manifest's Ed25519 signature and hash chain and each segment's SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from video.manifest import Report, SignedManifest, verify_manifest, verify_segments
from video.recorder import MANIFEST, Opener, RecordingStore

README = """psn video evidence bundle

Verify with:  psn evidence verify {bundle} [--trusted-key PUB.pem]
It checks, for each recording directory, the Ed25519 signature of manifest.json,
the SHA-256 chain linking its segments, and the SHA-256 of every exported segment.
The signer's public key (Ed25519, base64) is {key} (fingerprint {fingerprint});
compare it with the key the operator published.
"""


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    segments: dict[str, list[str]]  # recording id -> exported segment names


def key_fingerprint(public_key_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16]


def export(store: RecordingStore, opener: Opener, stream_id: str, start: float, end: float, out: Path) -> ExportSummary:
    """Decrypt the segments of ``stream_id`` overlapping [start, end] into a new bundle directory ``out``."""
    chosen: dict[str, list[str]] = {}
    keys = set()
    out.mkdir(parents=True, exist_ok=False)
    for directory, signed in store.recordings():
        manifest = signed.manifest
        entries = manifest.segment_times(start, end) if manifest.stream_id == stream_id else []
        if not entries:
            continue
        target = out / manifest.recording_id
        target.mkdir()
        shutil.copyfile(directory / MANIFEST, target / MANIFEST)
        for entry in entries:
            (target / entry.name).write_bytes(store.open_segment(directory, manifest, entry.name, opener))
        chosen[manifest.recording_id] = [e.name for e in entries]
        keys.add(signed.public_key)
    if not chosen:
        out.rmdir()
        raise LookupError(f"no recorded segments of stream {stream_id!r} in that time range")
    (out / "export.json").write_text(
        json.dumps({"stream_id": stream_id, "from": start, "to": end, "segments": chosen}, indent=1)
    )
    key = ", ".join(sorted(keys))
    (out / "README.txt").write_text(
        README.format(bundle=out.name, key=key, fingerprint=", ".join(key_fingerprint(k) for k in sorted(keys)))
    )
    return ExportSummary(out, chosen)


def verify_bundle(bundle: Path, trusted_key: str | None = None) -> Report:
    """Verify every recording in an exported bundle; failures name the manifest or segment at fault."""
    report = Report()
    try:
        listed: dict[str, list[str]] = json.loads((bundle / "export.json").read_text())["segments"]
    except (OSError, ValueError, KeyError) as exc:
        report.failures.append(f"export.json: unreadable ({exc})")
        return report
    for recording_id, required in sorted(listed.items()):
        directory = bundle / recording_id
        try:
            signed = SignedManifest.from_json(json.loads((directory / MANIFEST).read_bytes()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            report.failures.append(f"{recording_id}/{MANIFEST}: unreadable ({exc})")
            continue
        for part in (verify_manifest(signed, trusted_key),
                     verify_segments(signed.manifest, _segments(directory), required)):
            report.checked += [f"{recording_id}/{name}" for name in part.checked]
            report.failures += [f"{recording_id}/{failure}" for failure in part.failures]
    return report


def _segments(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.name != MANIFEST}

"""``psn evidence export|verify``: registered into the main CLI by ``register(subparsers)``."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from video.evidence import export, key_fingerprint, verify_bundle
from video.manifest import raw_public_key
from video.recorder import RecordingStore


def _timestamp(text: str) -> float:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evidence = sub.add_parser("evidence", help="export and verify video evidence bundles")
    commands = evidence.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)

    out = commands.add_parser("export", help="decrypt a stream's recorded segments in a time range into a bundle")
    out.add_argument("stream")
    out.add_argument("--from", dest="start", type=_timestamp, required=True, help="ISO 8601 (UTC if no offset)")
    out.add_argument("--to", dest="end", type=_timestamp, required=True, help="ISO 8601 (UTC if no offset)")
    out.add_argument("--out", type=Path, required=True, help="new bundle directory")
    out.add_argument("--data-dir", type=Path, default=Path(os.environ.get("PSN_DATA_DIR", "var")),
                     help="the server's data dir: recordings/ and keys/ inside it (default ./var)")
    out.add_argument("--recordings", type=Path, help="default: DATA_DIR/recordings")
    out.add_argument("--keyring", type=Path, help="default: DATA_DIR/keys/keyring.json")
    out.add_argument("--master-key", type=Path,
                     help="master key file (default: PSN_MASTER_KEY, else DATA_DIR/keys/master.key)")
    out.set_defaults(func=_export)

    check = commands.add_parser("verify", help="check a bundle's signatures, hash chain and segments")
    check.add_argument("bundle", type=Path)
    check.add_argument("--trusted-key", type=Path, help="the operator's published Ed25519 public key (PEM)")
    check.set_defaults(func=_verify)


def _export(args: argparse.Namespace) -> int:
    from crypto import Keyring, LocalMasterKey  # only exporting needs the agency keys

    keys = args.data_dir / "keys"
    master_file = args.master_key or (None if os.environ.get("PSN_MASTER_KEY") else keys / "master.key")
    master = LocalMasterKey.from_file(master_file) if master_file else LocalMasterKey.from_env()
    recordings = RecordingStore(args.recordings or args.data_dir / "recordings")
    keyring = Keyring(args.keyring or keys / "keyring.json", master)
    try:
        summary = export(recordings, keyring, args.stream, args.start, args.end, args.out)
    except LookupError as exc:
        print(f"psn evidence export: {exc}", file=sys.stderr)
        return 1
    for recording_id, names in summary.segments.items():
        print(f"{recording_id}: {len(names)} segments")
    print(f"bundle written to {summary.path}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    trusted = None
    if args.trusted_key:
        from crypto import load_public_key

        trusted = raw_public_key(load_public_key(args.trusted_key))
        print(f"trusted key fingerprint {key_fingerprint(trusted)}")
    report = verify_bundle(args.bundle, trusted)
    for name in report.checked:
        print(f"ok      {name}")
    for failure in report.failures:
        print(f"FAILED  {failure}")
    print("VERIFIED" if report.ok else f"NOT VERIFIED: {len(report.failures)} failure(s)")
    return 0 if report.ok else 1

"""`psn backup FILE` and `psn restore FILE`: the database and the key material in one archive sealed with a
passphrase (crypto.sealed_stream), restorable into an empty data dir and an empty database of either engine.

The archive is a tar stream, sealed: `manifest.json` (what, when, versions, migration head, a SHA-256 per file),
`db/{table}.jsonl.gz` (psn.store.dump: rows as stored, sealed columns still sealed), and the data dir's
`keys/` (master key unless PSN_MASTER_KEY holds it, agency data keys, token and signing keys), `pki/` (the
network CA and issued bundles) and `audit/` (the hash-chained log). Not `recordings/`: video evidence is large
and already sealed and signed; copy it as files (docs/deploy.md, Backups).

The database is dumped before the keys are copied, and the copy must hold every key a sealed row names (a key
rotated in between is in the copy; one retired in between fails the backup: run it again). Restore decrypts and
checks everything into a scratch directory first; the database is loaded in one transaction and the directories
renamed in only once it committed, so a wrong passphrase, a damaged archive or a failed load changes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crypto.envelope import MASTER_ENV
from crypto.sealed_stream import OpeningReader, SealedStreamError, SealingWriter
from psn import config
from psn.audit import AuditLog
from psn.cli.admin import settings_of, store_flags
from psn.clock import SystemClock
from psn.keys import key_dir
from psn.store import dump

FORMAT = 1
KIND = "psn-backup"
DIRECTORIES = ("keys", "pki", "audit")  # of the data dir
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing was changed."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser("backup", help="the database and key material, in one archive sealed with a passphrase",
                            description="Writes FILE: the database (a consistent snapshot, taken while psn runs), "
                                        "the data dir's keys/, pki/ and audit/, and a manifest, sealed with "
                                        "a passphrase (argon2id, AES-256-GCM). Progress on stderr.")
    restore = sub.add_parser("restore", help="an archive of `psn backup` into an empty data dir and database",
                             description="Checks the whole archive first (passphrase, integrity, checksums); "
                                         "then loads the database in one transaction and moves the keys in. "
                                         "A wrong passphrase or a damaged archive changes nothing.")
    for parser, func in ((backup, run_backup), (restore, run_restore)):
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from stdin")
        store_flags(parser)
        parser.set_defaults(func=func)
    backup.add_argument("--without-master-key", action="store_true",
                        help="leave keys/master.key out: the archive is then useless without the master key, kept "
                             "apart (docs/security.md); restore asks for it back")


def _passphrase(args: argparse.Namespace, confirm: bool) -> bytes:
    if args.passphrase_stdin:
        text = sys.stdin.readline().rstrip("\n")
    else:
        text = getpass.getpass("archive passphrase: ")
        if confirm and getpass.getpass("again: ") != text:
            raise BackupError("the passphrases differ")
    if len(text) < 8:
        raise BackupError("a passphrase of at least 8 characters (the archive holds every key of the network)")
    return text.encode()


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def run_backup(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    try:
        passphrase = _passphrase(args, confirm=True)
        manifest = _write_backup(settings, args.file.resolve(), passphrase, args.without_master_key)
    except (BackupError, dump.DumpError, SealedStreamError, sa.exc.SQLAlchemyError, OSError) as exc:
        print(f"psn backup: {exc}", file=sys.stderr)
        return 2
    rows = sum(t["rows"] for t in manifest["tables"].values())
    audit = AuditLog(settings.data_dir / "audit" / "audit.jsonl", key_dir(settings.data_dir), SystemClock())
    audit.record("cli", "backup.create", str(args.file), rows=rows, files=len(manifest["files"]),
                 migration_head=manifest["migration_head"])
    audit.checkpoint()
    print(f"{args.file}: {rows:,} rows of {len(manifest['tables'])} tables ({manifest['engine']}, schema "
          f"{manifest['migration_head']}) and {len(manifest['files'])} key, PKI and audit files")
    if manifest["master_key"] != "in the archive":
        print(f"  the master key is not in the archive ({manifest['master_key']}): keep a copy of it apart, the "
              "sealed data cannot be read without it")
    return 0


def _write_backup(settings: config.Settings, out: Path, passphrase: bytes, without_master: bool) -> dict[str, Any]:
    data_dir = settings.data_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".psn-backup-", dir=out.parent) as tmp:
        scratch = Path(tmp)
        (scratch / "db").mkdir()
        started = time.time()
        _say(f"psn backup: snapshot of {settings.database_url.split('@')[-1]}")
        with dump.snapshot(settings.database_url, scratch) as conn:
            head, engine = dump.migration_head(conn), conn.dialect.name
            tables = dump.dump(conn, scratch / "db", dump.Throttled(_say, "  dumped"))
        files = _copy_directories(data_dir, scratch / "files", without_master)
        _check_keys(scratch / "files", tables)
        for name, table in tables.items():
            table["sha256"] = _sha256(scratch / "db" / f"{name}.jsonl.gz")
        manifest = {
            "kind": KIND, "format": FORMAT,
            "created": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            "psn_version": version("psn"), "python": sys.version.split()[0], "sqlalchemy": sa.__version__,
            "engine": engine, "migration_head": head, "tables": tables, "files": files,
            "master_key": ("in the archive" if "keys/master.key" in files else "left out on request"
                           if without_master else f"{MASTER_ENV} holds it"),
        }
        (scratch / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = out.with_name(f".{out.name}.partial")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            writer = SealingWriter(fh, passphrase)
            # Stream mode needs only write() (and read() to restore); typeshed asks for a seekable file.
            with tarfile.open(fileobj=writer, mode="w|") as tar:  # type: ignore[call-overload]
                tar.add(scratch / MANIFEST, MANIFEST)
                tar.add(scratch / "db", "db")
                tar.add(scratch / "files", "files")
            writer.close()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, out)
    _say(f"psn backup: {out} written, {out.stat().st_size:,} bytes in {time.time() - started:.1f} s")
    return manifest


def _copy_directories(data_dir: Path, into: Path, without_master: bool) -> dict[str, dict[str, Any]]:
    """keys/, pki/, audit/ copied (the audit log held still meanwhile); a SHA-256, size and mode per file."""
    audit = AuditLog(data_dir / "audit" / "audit.jsonl", key_dir(data_dir), SystemClock())
    with audit.held():
        for name in DIRECTORIES:
            if (data_dir / name).is_dir():
                shutil.copytree(data_dir / name, into / name, ignore=shutil.ignore_patterns("*.lock", ".*.tmp"))
    if without_master:
        (into / "keys" / "master.key").unlink(missing_ok=True)
    return {str(path.relative_to(into)): {"sha256": _sha256(path), "bytes": path.stat().st_size,
                                          "mode": f"{path.stat().st_mode & 0o777:o}"}
            for path in sorted(into.rglob("*")) if path.is_file()}


def _check_keys(files: Path, tables: dict[str, dict[str, Any]]) -> None:
    named = {key for table in tables.values() for key in table["key_ids"]}
    ring = files / "keys" / "keyring.json"
    held = {entry["key_id"] for entry in json.loads(ring.read_text())["keys"]} if ring.exists() else set()
    if named - held:
        raise BackupError(f"rows are sealed under {sorted(named - held)}, which the keyring no longer holds (a key "
                          "retired during the backup?): run the backup again")


def run_restore(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    try:
        _ensure_empty(settings)
        passphrase = _passphrase(args, confirm=False)
        manifest = _restore(settings, args.file, passphrase)
    except (BackupError, dump.DumpError, SealedStreamError, tarfile.TarError, OSError, sa.exc.SQLAlchemyError) as exc:
        print(f"psn restore: {exc}; nothing was changed", file=sys.stderr)
        return 2
    audit = AuditLog(settings.data_dir / "audit" / "audit.jsonl", key_dir(settings.data_dir), SystemClock())
    audit.record("cli", "backup.restore", str(args.file), created=manifest["created"],
                 migration_head=manifest["migration_head"])
    audit.checkpoint()
    print(f"restored {args.file} (made {manifest['created']}, psn {manifest['psn_version']}, "
          f"{manifest['engine']}) into {settings.data_dir} and {settings.database_url.split('@')[-1]}")
    if manifest["master_key"] != "in the archive":
        print(f"  the archive holds no master key ({manifest['master_key']}): put the installation's at "
              f"{key_dir(settings.data_dir) / 'master.key'} (0600) or set {MASTER_ENV} before starting psn")
    return 0


def _ensure_empty(settings: config.Settings) -> None:
    for name in DIRECTORIES:
        path = settings.data_dir / name
        if path.exists() and any(path.iterdir()):
            raise BackupError(f"{path} is not empty: restore goes into an empty data dir")
    dump.ensure_empty(settings.database_url)


def _restore(settings: config.Settings, archive: Path, passphrase: bytes) -> dict[str, Any]:
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".psn-restore-", dir=data_dir) as tmp:
        scratch = Path(tmp)
        with archive.open("rb") as fh:
            reader = OpeningReader(fh, passphrase)
            _say(f"psn restore: passphrase accepted; checking {archive}")
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                for member in tar:
                    if not (member.isfile() or member.isdir()):
                        raise BackupError(f"the archive holds {member.name!r}, neither file nor directory")
                    tar.extract(member, scratch, filter="data")  # refuses absolute paths and `..`
            reader.read()  # to the end: the last chunk authenticated, nothing after it
        manifest = _checked_manifest(scratch)
        dump.load(settings.database_url, scratch / "db", manifest["tables"], manifest["migration_head"],
                  dump.Throttled(_say, "  loaded"))
        for name in DIRECTORIES:
            source, target = scratch / "files" / name, data_dir / name
            if source.is_dir():
                if target.exists():
                    target.rmdir()  # empty: checked before
                os.replace(source, target)
    return manifest


def _checked_manifest(scratch: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((scratch / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"the archive's manifest is missing or unreadable: {exc}") from None
    if manifest.get("kind") != KIND or manifest.get("format") != FORMAT:
        raise BackupError(f"not a psn backup of format {FORMAT}: {manifest.get('kind')} {manifest.get('format')}")
    expected = {f"db/{name}.jsonl.gz": t["sha256"] for name, t in manifest["tables"].items()}
    expected |= {f"files/{name}": f["sha256"] for name, f in manifest["files"].items()}
    found = {str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file()} - {MANIFEST}
    if found != set(expected):
        raise BackupError(f"the archive's files differ from its manifest: {sorted(found ^ set(expected))[:5]}")
    for name, digest in expected.items():
        if _sha256(scratch / name) != digest:
            raise BackupError(f"{name} does not match its checksum in the manifest")
    for name, f in manifest["files"].items():
        os.chmod(scratch / "files" / name, int(f["mode"], 8))
    return manifest

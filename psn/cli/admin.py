"""Operator commands that work on a data dir directly: users, tokens, keys, audit."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path

from crypto.envelope import EnvelopeError
from crypto.errors import CryptoError
from psn import config
from psn.access import Role
from psn.keys import LiveKeyring
from psn.server import Server
from psn.store.database import SEALED_TABLES
from psn.users import UserError

DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 10m, 8h")
    return float(match[1]) * SECONDS[match[2]]


def store_flags(parser: argparse.ArgumentParser) -> None:
    """Where psn's data is: shared by `psn serve|demo` and the operator commands."""
    parser.add_argument("--data-dir", type=Path, help="where psn keeps its files (default ./var)")
    parser.add_argument("--db", dest="db_url", metavar="URL",
                        help="postgresql://user@host/db (default: SQLite under --data-dir)")
    parser.add_argument("--config", type=Path, help="a TOML file of settings (or PSN_CONFIG)")


def settings_of(args: argparse.Namespace) -> config.Settings:
    """The settings `store_flags` point at (a config file, PSN_* environment, the flags)."""
    try:
        return config.load({"data_dir": args.data_dir, "db_url": args.db_url}, config_file=args.config)
    except config.ConfigError as exc:
        raise SystemExit(f"psn: {exc}") from None


def _server(args: argparse.Namespace) -> Server:
    server = Server(settings_of(args))
    server.prepare_store()
    return server


def _record(server: Server, action: str, target: str, **detail: object) -> None:
    """Operator actions are audited like any other, and sealed by a checkpoint as the command ends."""
    server.audit.record("cli", action, target, **detail)
    server.audit.checkpoint()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="people: accounts per agency with roles").add_subparsers(
        dest="users_command", required=True)
    add = users.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--agency", required=True)
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in Role],
                     help="repeat for several roles")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    store_flags(add)
    add.set_defaults(func=users_add)

    for verb, disabled in (("disable", True), ("enable", False)):
        toggle = users.add_parser(verb, help=f"{verb} an account (applies to open sessions within seconds)")
        toggle.add_argument("name")
        store_flags(toggle)
        toggle.set_defaults(func=users_toggle, disabled=disabled)
    listing = users.add_parser("list", help="accounts with their agency and roles")
    store_flags(listing)
    listing.set_defaults(func=users_list)

    token = sub.add_parser("token", help="bearer tokens for devices and scripts").add_subparsers(
        dest="token_command", required=True)
    issue = token.add_parser("issue", help="print a signed bearer token")
    who = issue.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="an existing account")
    who.add_argument("--agency", help="with --unit: a device token (a body cam's WHIP publisher)")
    issue.add_argument("--unit")
    issue.add_argument("--ttl", type=duration, default=600.0, help="lifetime, e.g. 10m, 8h (default 10m)")
    store_flags(issue)
    issue.set_defaults(func=token_issue)

    keys = sub.add_parser("keys", help="at-rest encryption keys").add_subparsers(dest="keys_command", required=True)
    rotate = keys.add_parser("rotate", help="new data key version for new data (old data stays readable)")
    rotate.add_argument("--agency", action="append", help="default: every agency")
    store_flags(rotate)
    rotate.set_defaults(func=keys_rotate)
    reencrypt = keys.add_parser("reencrypt", help="re-seal stored data under the current keys")
    store_flags(reencrypt)
    reencrypt.set_defaults(func=keys_reencrypt)
    retire = keys.add_parser("retire", help="delete an old key version once no data uses it")
    retire.add_argument("key_id", help="e.g. police:v1")
    store_flags(retire)
    retire.set_defaults(func=keys_retire)
    listing = keys.add_parser("list", help="key versions and which are current")
    store_flags(listing)
    listing.set_defaults(func=keys_list)

    audit = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="check the hash chain and signed checkpoints")
    store_flags(verify)
    verify.set_defaults(func=audit_verify)


def users_add(args: argparse.Namespace) -> int:
    server = _server(args)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    try:
        server.users.add(args.name, args.agency, args.role, password, server.settings.agencies)
    except UserError as exc:
        print(f"psn: {exc}", file=sys.stderr)
        return 2
    _record(server, "users.add", args.name, agency=args.agency, roles=args.role)
    print(f"user {args.name} ({args.agency}: {', '.join(args.role)}) created")
    return 0


def users_toggle(args: argparse.Namespace) -> int:
    server = _server(args)
    try:
        server.users.set_disabled(args.name, args.disabled)
    except UserError as exc:
        print(f"psn: {exc}", file=sys.stderr)
        return 2
    _record(server, "users.disable" if args.disabled else "users.enable", args.name)
    print(f"user {args.name} {'disabled' if args.disabled else 'enabled'}")
    return 0


def users_list(args: argparse.Namespace) -> int:
    for name, agency, roles, disabled in _server(args).users.listing():
        print(f"{name:24} {agency:8} {roles:40} {'DISABLED' if disabled else ''}".rstrip())
    return 0


def token_issue(args: argparse.Namespace) -> int:
    server = _server(args)
    try:
        if args.user:
            principal = server.users.get(args.user)
            if principal is None:
                print(f"psn: no active user {args.user!r}", file=sys.stderr)
                return 2
            issued = server.auth.issue_user(principal, args.ttl)
        else:
            if not args.unit or args.agency not in server.settings.agencies:
                print("psn: a device token needs a registered --agency and a --unit", file=sys.stderr)
                return 2
            issued = server.auth.issue_device(args.agency, args.unit, args.ttl)
    except CryptoError as exc:
        print(f"psn: {exc}", file=sys.stderr)
        return 2
    _record(server, "token.issue", issued.principal.name, ttl_s=args.ttl)
    print(issued.token)
    return 0


def _keyring(server: Server) -> LiveKeyring:
    if server.keys is None:
        raise SystemExit("psn: encryption at rest is off (encrypt_at_rest = false)")
    return server.keys


def keys_rotate(args: argparse.Namespace) -> int:
    server = _server(args)
    keys = _keyring(server)
    for agency in args.agency or server.settings.agencies:
        key_id = keys.ring.rotate(agency)
        _record(server, "keys.rotate", key_id)
        print(f"{agency}: new data key {key_id}")
    print("running servers pick the new keys up at their next write; `psn keys reencrypt` migrates old data")
    return 0


def keys_reencrypt(args: argparse.Namespace) -> int:
    server = _server(args)
    current = _keyring(server).current_ids()
    count = server.db.reencrypt(current)
    _record(server, "keys.reencrypt", ",".join(SEALED_TABLES), records=count)
    print(f"re-encrypted {count} records under {', '.join(sorted(current))}")
    return 0


def keys_retire(args: argparse.Namespace) -> int:
    server = _server(args)
    keys = _keyring(server)
    try:
        keys.ring.retire(args.key_id, server.db.key_in_use)
    except EnvelopeError as exc:
        print(f"psn: {exc}", file=sys.stderr)
        return 2
    _record(server, "keys.retire", args.key_id)
    print(f"retired {args.key_id}")
    return 0


def keys_list(args: argparse.Namespace) -> int:
    keys = _keyring(_server(args))
    current = keys.current_ids()
    for key_id in keys.ring.key_ids():
        print(f"{key_id:20} {'current' if key_id in current else 'old'}")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    server = _server(args)
    report = server.audit.verify()
    print(report.summary())
    for problem in report.problems:
        print(f"  {problem}")
    return 0 if report.ok else 1

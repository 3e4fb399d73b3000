"""`psn pki …` (the network CA: units, probe feeds, network equipment, servers, revocation) and
`psn broker-config` (Mosquitto with mTLS).

Everything works on `{data_dir}/pki/` and is written to the audit log, like the other operator commands.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from crypto.broker_config import SERVER_IDENTITY, BrokerConfig, QueueSizing, TlsFiles, render_mosquitto_conf
from crypto.errors import CryptoError
from crypto.identity import EQUIPMENT_AGENCY, PROBE_AGENCY, UnitIdentity, equipment_cn, probe_cn
from crypto.pki import CertificateAuthority, IndexRecord, Issued, PkiError
from psn.cli.admin import _record, _server, store_flags
from psn.mqtt.acl import render_acl
from psn.mqtt.certs import ca_dir, ensure_issued, open_ca, pki_dir
from psn.server import Server

REASONS = {flag.name: flag for flag in x509.ReasonFlags if flag is not x509.ReasonFlags.remove_from_crl}
# OwnTracks phones with a unit certificate publish as user={agency}, device={unit}; same rule as psn.mqtt.acl.


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pki = sub.add_parser("pki", help="the network CA: unit, server certificates, revocation").add_subparsers(
        dest="pki_command", required=True)

    init = pki.add_parser("init", help="create the CA under {data dir}/pki/ca")
    init.add_argument("--name", default="PSN Network CA", help="CA common name")
    init.set_defaults(func=pki_init)

    unit = pki.add_parser("issue-unit", help="certificate + key for a device: PEM and a PKCS#12 bundle to import")
    unit.add_argument("agency")
    unit.add_argument("unit")
    unit.set_defaults(func=pki_issue_unit)

    probe = pki.add_parser("issue-probe", help="certificate + key for a probe feed (a bus or taxi fleet): it may"
                           " publish psn/v1/probes/SOURCE only")
    probe.add_argument("source", help="the feed's name, as in its topic psn/v1/probes/SOURCE")
    probe.set_defaults(func=pki_issue_probe)

    equipment = pki.add_parser("issue-equipment", help="certificate + key for network equipment (an eNodeB agent):"
                               " it may publish cells' KPIs and units' link reports, read psn/v1/net/cmd/# and"
                               " the units' positions")
    equipment.add_argument("name", help="the equipment's name; its CN is net/NAME")
    equipment.set_defaults(func=pki_issue_equipment)
    bundle_dirs = {unit: "units", probe: "probes", equipment: "equipment"}
    for parser, kind_dir in bundle_dirs.items():
        parser.add_argument("--days", type=int, default=365, help="validity (default 365)")
        parser.add_argument("--p12-password-stdin", action="store_true", help="read the PKCS#12 password from stdin")
        parser.add_argument("--out", type=Path, help=f"directory for the bundle (default {{data dir}}/pki/{kind_dir})")

    server = pki.add_parser("issue-server", help="TLS server certificate (the broker, HTTPS) for names and IPs")
    server.add_argument("hosts", nargs="+", metavar="HOST")
    server.add_argument("--days", type=int, default=825)
    server.add_argument("--out", type=Path, help="directory (default {data dir}/pki/servers)")
    server.set_defaults(func=pki_issue_server)

    revoke = pki.add_parser("revoke", help="revoke by serial (hex) or every certificate of AGENCY/UNIT,"
                            " probes/SOURCE or net/NAME; new CRL")
    revoke.add_argument("target", metavar="SERIAL|AGENCY/UNIT|probes/SOURCE|net/NAME")
    revoke.add_argument("--reason", choices=sorted(REASONS), default="unspecified")
    revoke.set_defaults(func=pki_revoke)

    crl = pki.add_parser("crl", help="re-sign the CRL (brokers refuse everyone once it expires)")
    crl.add_argument("--days", type=int, default=7, help="until next update (default 7)")
    crl.set_defaults(func=pki_crl)

    listing = pki.add_parser("list", help="every certificate the CA issued, with its state")
    listing.set_defaults(func=pki_list)

    for parser in (init, unit, probe, equipment, server, revoke, crl, listing):
        store_flags(parser)

    broker = sub.add_parser("broker-config", help="write a Mosquitto config with mTLS, ACL, CRL and certificates")
    broker.add_argument("--out", type=Path, required=True, help="directory to write into")
    broker.add_argument("--port", type=int, default=8883)
    broker.add_argument("--bind", default="127.0.0.1", help="address facing the units (default 127.0.0.1)")
    broker.add_argument("--host", action="append", dest="hosts", metavar="NAME",
                        help="names/IPs units use for the broker (default: localhost, loopback and --bind)")
    broker.add_argument("--run-as", help="account Mosquitto switches to when started as root (must read DIR)")
    broker.add_argument("--persistence-dir", type=Path, metavar="DIR",
                        help="where Mosquitto keeps sessions and queued messages (default OUT/persistence)")
    broker.add_argument("--autosave", type=int, default=BrokerConfig.autosave_interval_s, metavar="SECONDS",
                        help="seconds between saves; a broker killed -9 loses what came since (default %(default)s)")
    broker.add_argument("--client-expiration", default=BrokerConfig.client_expiration, metavar="DURATION",
                        help="drop persistent sessions not back within this, e.g. 12h, 7d (default %(default)s)")
    sizing = broker.add_argument_group("queue sizing: max_queued_messages = units x rate x ride-out")
    sizing.add_argument("--units", type=int, default=QueueSizing.units, help="units on the network (%(default)s)")
    sizing.add_argument("--rate", type=float, default=QueueSizing.rate_hz, metavar="HZ",
                        help="messages a second per unit (%(default)s)")
    sizing.add_argument("--ride-out", type=float, default=QueueSizing.ride_out_s, metavar="SECONDS",
                        help="the longest psn outage to ride out without loss (%(default)s)")
    store_flags(broker)
    broker.set_defaults(func=broker_config)


def _ca(server: Server) -> CertificateAuthority:
    try:
        return open_ca(server.settings.data_dir, now=time.time())
    except PkiError as exc:
        raise SystemExit(f"psn: {exc}") from None


def _fail(exc: Exception) -> int:
    print(f"psn: {exc}", file=sys.stderr)
    return 2


def pki_init(args: argparse.Namespace) -> int:
    server = _server(args)
    if (ca_dir(server.settings.data_dir) / "ca.key").exists():
        return _fail(PkiError(f"{ca_dir(server.settings.data_dir)} already holds a CA"))
    ca = open_ca(server.settings.data_dir, now=time.time(), create=True, name=args.name)
    _record(server, "pki.init", args.name, sha256=ca.cert.fingerprint(hashes.SHA256()).hex())
    print(f"CA {args.name!r} created in {ca.directory}\n  distribute {ca.cert_path} to devices and servers;"
          f" keep {ca.directory / 'ca.key'} private (0600, offline if you can)")
    return 0


def pki_issue_unit(args: argparse.Namespace) -> int:
    server = _server(args)
    ca = _ca(server)
    if args.agency not in server.settings.agencies:
        return _fail(PkiError(f"agency {args.agency!r} is not registered ({', '.join(server.settings.agencies)})"))
    code = _issue_client(server, args, "units", f"{args.agency}/{args.unit}",
                         lambda: ca.issue_unit(args.agency, args.unit, now=time.time(), days=args.days))
    if code == 0:
        print("import the .p12 on the device (it holds key, certificate and CA); then re-run `psn broker-config`"
              " and SIGHUP Mosquitto so the ACL lists the new unit's agency broadcasts")
    return code


def pki_issue_probe(args: argparse.Namespace) -> int:
    return _issue_named(args, "probes", args.source, probe_cn, CertificateAuthority.issue_probe,
                        f"give the feed the .p12 (or .pem + .key and the CA): it may publish psn/v1/probes/"
                        f"{args.source} only; Mosquitto needs no new ACL line (its `pattern` lines cover it)")


def pki_issue_equipment(args: argparse.Namespace) -> int:
    return _issue_named(args, "equipment", args.name, equipment_cn, CertificateAuthority.issue_equipment,
                        "give the equipment the .p12 (or .pem + .key and the CA): it may publish "
                        "psn/v1/net/cell/+/kpi and psn/v1/net/ue/+/+/link; re-run `psn broker-config` and SIGHUP "
                        "Mosquitto so the ACL lists it")


def _issue_named(args: argparse.Namespace, kind_dir: str, name: str, cn_of: Callable[[str], str],
                 issue: Callable[..., Issued], done: str) -> int:
    """A probe feed's or equipment's certificate: its name checked before the password prompt."""
    server = _server(args)
    ca = _ca(server)
    try:
        subject = cn_of(name)
    except CryptoError as exc:
        return _fail(exc)
    code = _issue_client(server, args, kind_dir, subject, lambda: issue(ca, name, now=time.time(), days=args.days))
    if code == 0:
        print(done)
    return code


def _issue_client(server: Server, args: argparse.Namespace, kind_dir: str, subject: str,
                  issue: Callable[[], Issued]) -> int:
    """Issue a client certificate (unit, probe feed or equipment), write PEM, key and PKCS#12, audit it."""
    password = (sys.stdin.readline().rstrip("\n") if args.p12_password_stdin
                else getpass.getpass("PKCS#12 password (the device asks for it on import): "))
    try:
        issued = issue()
        files = issued.write(args.out or pki_dir(server.settings.data_dir) / kind_dir, subject.replace("/", "."),
                             password.encode())
    except CryptoError as exc:
        return _fail(exc)
    kind = kind_dir.removesuffix("s")  # units → unit, probes → probe, equipment
    _record(server, f"pki.issue_{kind}", subject, serial=f"{issued.serial:x}", days=args.days)
    print(f"{kind} certificate {subject}, serial {issued.serial:x}, valid {args.days} days:")
    for path in files:
        print(f"  {path}")
    return 0


def pki_issue_server(args: argparse.Namespace) -> int:
    server = _server(args)
    ca = _ca(server)
    try:
        issued = ca.issue_server(args.hosts, now=time.time(), days=args.days)
    except (CryptoError, ValueError) as exc:
        return _fail(exc)
    files = issued.write(args.out or pki_dir(server.settings.data_dir) / "servers", args.hosts[0])
    _record(server, "pki.issue_server", ",".join(args.hosts), serial=f"{issued.serial:x}", days=args.days)
    print(f"server certificate for {', '.join(args.hosts)}, serial {issued.serial:x}:")
    for path in files:
        print(f"  {path}")
    print(f"HTTPS: psn serve --tls-cert {files[0]} --tls-key {files[1]}")
    return 0


def _targets(ca: CertificateAuthority, target: str) -> list[IndexRecord]:
    if "/" in target:
        agency, _, name = target.partition("/")
        cn = (probe_cn(name) if agency == PROBE_AGENCY else equipment_cn(name) if agency == EQUIPMENT_AGENCY
              else UnitIdentity.from_cn(target).cn)
        return [r for r in ca.index.values()
                if r.kind in ("unit", "probe", "equipment") and r.subject == cn and r.revoked_at is None]
    try:
        record = ca.index.get(int(target, 16))
    except ValueError:
        raise PkiError(f"{target!r} is neither a hex serial, AGENCY/UNIT, probes/SOURCE nor net/NAME") from None
    if record is None:
        raise PkiError(f"serial {target} was not issued by this CA")
    return [record]


def pki_revoke(args: argparse.Namespace) -> int:
    server = _server(args)
    ca = _ca(server)
    now = time.time()
    try:
        records = _targets(ca, args.target)
    except CryptoError as exc:
        return _fail(exc)
    if not records:
        return _fail(PkiError(f"{args.target} holds no unrevoked certificate"))
    for record in records:
        ca.revoke(record.serial, now=now, reason=REASONS[args.reason])
        _record(server, "pki.revoke", record.subject, serial=f"{record.serial:x}", reason=args.reason)
        print(f"revoked {record.subject} (serial {record.serial:x}, {args.reason})")
    ca.crl(now=now)
    _record(server, "pki.crl", str(ca.crl_path), revoked=sum(r.revoked_at is not None for r in ca.index.values()))
    print(f"CRL re-signed: {ca.crl_path}\n  the embedded broker refuses it from now on; for Mosquitto re-run"
          " `psn broker-config --out DIR` and SIGHUP it (connected sessions stay until dropped: restart or kill them)")
    return 0


def pki_crl(args: argparse.Namespace) -> int:
    server = _server(args)
    ca = _ca(server)
    ca.crl(now=time.time(), days=args.days)
    _record(server, "pki.crl", str(ca.crl_path), days=args.days)
    print(f"CRL re-signed, valid {args.days} days: {ca.crl_path}")
    return 0


def pki_list(args: argparse.Namespace) -> int:
    ca = _ca(_server(args))
    now = time.time()
    print(f"{'serial':40} {'kind':8} {'subject':28} {'not after':20} state")
    for r in sorted(ca.index.values(), key=lambda r: r.issued_at):
        state = {"revoked": f"revoked ({r.reason})", "valid": "active"}.get(r.state(now), "expired")
        print(f"{r.serial:<40x} {r.kind:8} {r.subject:28} {_day(r.not_after):20} {state}")
    return 0


def broker_config(args: argparse.Namespace) -> int:
    server = _server(args)
    ca = _ca(server)
    now = time.time()
    out: Path = args.out.resolve()  # mosquitto.conf needs absolute paths
    out.mkdir(parents=True, exist_ok=True)
    hosts = args.hosts or sorted({"localhost", "127.0.0.1", "::1", args.bind} - {"0.0.0.0", "::"})
    broker = ensure_issued(ca, out, "broker", lambda: ca.issue_server(hosts, now=now), now=now)
    client = ensure_issued(ca, out, SERVER_IDENTITY, lambda: ca.issue_service(SERVER_IDENTITY, now=now), now=now)
    shutil.copyfile(ca.cert_path, out / "ca.pem")
    (out / "crl.pem").write_bytes(ca.crl(now=now))
    units = ca.active_units(now=now)
    equipment = ca.active_equipment(now=now)
    (out / "acl").write_text(render_acl(units, equipment=equipment))
    tls = TlsFiles(out / "ca.pem", broker.cert, broker.key, out / "crl.pem")
    conf = out / "mosquitto.conf"
    persistence: Path = (args.persistence_dir or out / "persistence").resolve()
    persistence.mkdir(mode=0o700, parents=True, exist_ok=True)
    sizing = QueueSizing(args.units, args.rate, args.ride_out)
    conf.write_text(render_mosquitto_conf(BrokerConfig(
        tls, out / "acl", port=args.port, bind=args.bind, user=args.run_as, sizing=sizing,
        persistence_dir=persistence, autosave_interval_s=args.autosave, client_expiration=args.client_expiration)))
    _record(server, "pki.broker_config", str(out), port=args.port, bind=args.bind, units=len(units),
            equipment=len(equipment), max_queued_messages=sizing.max_queued_messages)
    url = f"mqtts://{'127.0.0.1' if args.bind in ('0.0.0.0', '::') else args.bind}:{args.port}"
    print(f"Mosquitto config for {len(units)} units in {out}:\n"
          f"  start it:   mosquitto -c {conf}\n"
          f"  sessions and queued messages persist in {persistence} (saved every {args.autosave} s and on stop);"
          f" queue {sizing.max_queued_messages} messages a client\n"
          f"  psn to it:  psn serve --mqtt {url} --mqtt-ca {out / 'ca.pem'} --mqtt-cert {client.cert}"
          f" --mqtt-key {client.key}\n"
          f"  after issuing or revoking certificates, re-run this command and `kill -HUP` Mosquitto;\n"
          f"  re-run it (or `psn pki crl` and copy crl.pem) at least weekly: an expired CRL locks everyone out.")
    if os.geteuid() == 0 and not args.run_as:
        print("  note: started as root, Mosquitto becomes user 'mosquitto', which must be able to read the"
              " 0600 keys here and write the persistence directory (chown them, or pass --run-as)")
    return 0


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")

"""`psn sim network`: the MQTT shell of the simulated network equipment (`simulator.equipment` is its core).

Subscribes to the units' fixes (`psn/v1/{agency}/{unit}/telemetry`, `owntracks/{user}/{device}`), psn's retained
policy and the fault commands; every period it hands what arrived to the core, steps it and publishes the KPIs
of every cell on the air (QoS 1, not retained: a cell that goes down must fall silent) and one link report per
attached unit (QoS 0). MQTT 3.1.1, so the embedded demo broker works as well as Mosquitto.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
from datetime import UTC, datetime

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.equipment import Equipment, EquipmentConfig, Period
from simulator.netpolicy import load_fault_schedule
from simulator.plan import load_plan
from simulator.scenario import load_scenario
from simulator.stopping import stop_on_signals
from telemetry import topics

SUBSCRIPTIONS = ((topics.NET_POLICY_TOPIC, 1), (topics.NET_FAULT_TOPIC, 1),
                 (topics.unit_topic("+", "+", topics.UnitKind.TELEMETRY), 0), (topics.owntracks_prefix("+", "+"), 0))


def _line(p: Period, n_cells: int, refused: int, step_s: float) -> str:
    when = datetime.fromtimestamp(p.ts, UTC).strftime("%H:%M:%S")
    faults = ", ".join(p.faults) or "none"
    return (f"{when} units {p.attached} attached ({p.attached - p.covered} out of coverage), cells {len(p.kpis)}/"
            f"{n_cells} reporting, faults: {faults}; {refused} messages refused; step {step_s * 1e3:.0f} ms")


def _coalesced(inbox: queue.SimpleQueue[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """What arrived since the last period: every fault command in order, then only the newest message of each
    other topic (a unit's latest fix, psn's latest policy): 5,000 units at 1 Hz send 25,000 fixes per 5 s
    period, and one fix costs 15-30 us to decode (bench/equipment.py), so decoding all would cost ~0.5 s."""
    faults, latest = [], {}
    while not inbox.empty():
        topic, payload = inbox.get()
        if topic == topics.NET_FAULT_TOPIC:
            faults.append((topic, payload))
        else:
            latest[topic] = payload
    return faults + list(latest.items())


def run(args: argparse.Namespace) -> int:
    """Runs until SIGTERM/SIGINT. Bad files and an unreachable broker raise (the CLI prints one line, exit 2)."""
    host, port = args.mqtt  # parsed by the CLI (simulator.cli.broker_address)
    plan = load_plan(args.plan) if args.plan else load_plan()
    start = time.time()
    eq = Equipment(plan, np.random.default_rng(args.seed), EquipmentConfig(owntracks_agency=args.owntracks_agency),
                   load=load_scenario(args.load) if args.load else None,
                   faults=load_fault_schedule(args.faults) if args.faults else None, start=start)
    inbox: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"psn-sim-network-{os.getpid()}",
                         protocol=mqtt.MQTTv311)
    client.on_connect = lambda c, *_: c.subscribe(list(SUBSCRIPTIONS))
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, m: inbox.put((m.topic, bytes(m.payload)))
    try:
        client.connect(host, port)
    except OSError as e:
        raise OSError(f"cannot reach MQTT broker {host}:{port}: {e.strerror or e}") from e
    client.loop_start()
    stopped = stop_on_signals()
    subscribed.wait(5.0)  # so the first period already has psn's retained policy
    print(f"psn sim network: {plan.name}, {len(eq.cells)} cells, period {args.period_s:g} s, broker {host}:{port}",
          flush=True)
    due = time.time()
    try:
        while not stopped.is_set():
            now = time.time()
            refused = 0
            for topic, payload in _coalesced(inbox):
                why = eq.receive(topic, payload, now)
                refused += why is not None
                if why is not None and topic in (topics.NET_POLICY_TOPIC, topics.NET_FAULT_TOPIC):
                    print(f"psn sim network: refused {topic}: {why}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            period = eq.step(now)
            step_s = time.perf_counter() - t0
            for k in period.kpis:
                client.publish(topics.cell_kpi_topic(str(k["cell"])), json.dumps(k, separators=(",", ":")), qos=1)
            for agency, unit, doc in period.links:
                client.publish(topics.link_topic(agency, unit), json.dumps(doc, separators=(",", ":")), qos=0)
            print(_line(period, len(eq.cells), refused, step_s), flush=True)
            due = max(due + args.period_s, time.time())  # a slow step delays the next, never bunches them
            stopped.wait(max(0.0, due - time.time()))
    finally:
        client.disconnect()
        client.loop_stop()
    return 0

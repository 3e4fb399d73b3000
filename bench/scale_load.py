"""bench/scale.py's load generators, each run as its own process (`python -m bench.scale_load …`) so that neither
shares a GIL with psn or with the bench, and light to start (paho and websockets only: no psn import). Each prints
one JSON line with its result on stdout; the watcher prints `ready` first, once its feed's snapshot arrived.

    publish: QoS 1 fixes of `units` units at `rate` messages a second in all for `duration` s, over mTLS as a
             service identity (a unit's certificate may publish only its own topics), every ack awaited;
    watch:   one live WebSocket until told to stop (a line on stdin) or `duration` s: the delay from each fix's
             `ts` (set as it was published, same machine clock) to its arrival in the feed.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

AGENCY = "police"  # one agency: one dispatcher's feed sees every unit of the load


def publish(args: argparse.Namespace) -> dict[str, float]:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=args.client_id,
                         protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=args.ca, certfile=args.cert, keyfile=args.key)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", args.port)
    client.loop_start()
    slice_s = 0.02  # senders spread over the second in 20 ms slices, as bench/telemetry.py paces them
    per_slice = args.rate * slice_s
    start = time.time()
    infos: list[mqtt.MQTTMessageInfo] = []
    due = 0.0
    while (now := time.time()) - start < args.duration:
        due += per_slice
        while len(infos) < int(due):
            unit = args.first_unit + len(infos) % args.units
            fix = {"ts": time.time(), "lat": 17.2 + unit % 100 * 0.003, "lon": -88.8 + unit // 100 * 0.006}
            infos.append(client.publish(f"psn/v1/{AGENCY}/S-{unit}/telemetry", json.dumps(fix), qos=1))
        time.sleep(max(0.0, slice_s - (time.time() - now)))
    end = time.time()
    for info in infos:
        info.wait_for_publish(60)  # PUBACK: the broker holds it
    client.disconnect()
    client.loop_stop()
    return {"sent": len(infos), "start": start, "end": end}


def watch(args: argparse.Namespace) -> dict[str, list[float]]:
    """Until a line arrives on stdin (the bench saw the step stored) or `duration` s passed."""
    from websockets.sync.client import connect

    stop = threading.Event()

    def told() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=told, daemon=True).start()
    delays: list[float] = []
    with connect(f"{args.url}/api/v1/live?access_token={args.token}", max_size=None, open_timeout=30) as ws:
        ws.recv(timeout=30)  # the snapshot
        print("ready", flush=True)
        end = time.time() + args.duration
        while not stop.is_set() and time.time() < end:
            try:
                message = json.loads(ws.recv(timeout=0.2))
            except TimeoutError:
                continue
            arrived = time.time()
            delays.extend(arrived - unit["ts"] for unit in message.get("units", ()))
    return {"delays": delays}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish")
    for name in ("ca", "cert", "key", "client_id"):
        pub.add_argument(f"--{name.replace('_', '-')}", required=True)
    pub.add_argument("--port", type=int, required=True)
    pub.add_argument("--first-unit", type=int, default=0)
    pub.add_argument("--units", type=int, required=True)
    pub.add_argument("--rate", type=float, required=True)
    pub.add_argument("--duration", type=float, required=True)
    pub.set_defaults(func=publish)
    ws = sub.add_parser("watch")
    ws.add_argument("--url", required=True)
    ws.add_argument("--token", required=True)
    ws.add_argument("--duration", type=float, required=True)
    ws.set_defaults(func=watch)
    args = parser.parse_args()
    sys.stdout.write(json.dumps(args.func(args)) + "\n")


if __name__ == "__main__":
    main()

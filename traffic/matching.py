"""Streaming map matching: GPS fixes of many vehicles -> the directed edges they drove and the speeds on them.

A hidden-Markov matcher after Newson & Krumm (2009), as in Valhalla Meili and FMM. Hidden states are candidate
points on directed edges near each fix (`traffic.candidates`: Gaussian emission of the distance, plus a heading
term); a transition between candidates of consecutive fixes scores exp(-|route - straight| / beta), the route
measured along the directed graph (one-way streets respected; `traffic.transitions.RouteTable` for routes through
other nodes), and is refused when the route is longer than route_factor x the straight distance + slack or
than max_speed_mps x the time + slack. A U-turn in the middle of an edge onto the reverse edge is allowed at a
cost of uturn_nats.

Streaming, per vehicle, with a fixed lag of one fix: each vehicle keeps only the scores of its last fix's
candidates. When fix n arrives, Viterbi extends the scores to fix n's candidates, fix n-1 is decided as the
predecessor of fix n's best candidate, and fix n's scores are then restricted to paths through that decision, so
the next decision continues the route already given. Nothing is ever reprocessed. `push_many` does the candidate
search and the Viterbi step for a whole batch (one fix per vehicle) in numpy; only the decisions' bookkeeping
loops over vehicles. Speeds come out as `SpeedSample`s (`traffic.traversal`): the fix's reported speed on its
decided edge (spot), and route length / time once per edge traversal (not spot) measured over at least
`interval_min_m` (a shorter distance is timed by GPS noise more than by the drive) and no faster than twice the
edge's free-flow speed.

Bad input never raises: it gets an `Outcome`, counted in `Matcher.counts`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from traffic.candidates import CandidateFinder, Candidates, candidate_index
from traffic.graph import FloatArray, IntArray, RoadGraph
from traffic.matchstate import Slots
from traffic.samples import SpeedSample
from traffic.snap import SegmentIndex
from traffic.transitions import RouteTable


class Outcome(enum.StrEnum):
    MATCHED = "matched"  # accepted (may be decided later: fixed lag)
    OFF_NETWORK = "off_network"  # no road within the search radius: dropped, trace continues
    OUT_OF_ORDER = "out_of_order"  # older than the vehicle's last fix: dropped
    DUPLICATE = "duplicate"  # same ts as the last fix: dropped
    TELEPORT = "teleport"  # implausible jump (speed > max_speed_mps): the trace restarts at this fix
    GAP = "gap"  # more than max_gap_s since the last fix: the trace restarts at this fix
    BAD = "bad"  # non-finite input: dropped


OUTCOMES = tuple(Outcome)
CODE = {o: i for i, o in enumerate(OUTCOMES)}


@dataclass(frozen=True, slots=True)
class MatchConfig:
    # Phone and vehicle-modem GPS: 5-15 m typical (Newson & Krumm's 4.07 m came from a survey-grade receiver).
    sigma_m: float = 10.0
    radius_m: float = 50.0  # Valhalla Meili's default search radius; 5 sigma
    # Candidates per fix: the likeliest directed edges on the k nearest segments. In the towns of the shipped
    # roads 8 or more segments lie within 50 m of most fixes (median segment 45 m).
    k: int = 8
    beta_m: float = 10.0  # |route - straight| scale; the straight distance of two 10 m fixes is itself +-14 m
    heading_kappa: float = 4.0  # 8 nats against the edge's direction: as much as 4 sigma of distance
    heading_min_mps: float = 2.0  # below this reported speed the reported heading is noise
    uturn_nats: float = 6.0
    # Going back on the same edge this far is GPS jitter, not a loop: two fixes each up to radius_m off (25 m
    # let 10 m noise at 13 m/s force a false U-turn about once in 300 fixes on the shipped roads).
    backtrack_m: float = 50.0
    route_factor: float = 2.0
    route_slack_m: float = 100.0  # two fixes each up to radius_m off: also the teleport test's allowance
    max_gap_s: float = 90.0
    max_speed_mps: float = 70.0
    # An interval sample needs at least this distance timed (the metres driven on its edge; for an edge crossed
    # between two fixes, the route between them): the fixes at both ends are each sigma_m off along the road, so
    # 50 m carries +-14 m (sqrt 2 x sigma_m). Measured on the Belize clip (SUMO, 10 % of vehicles, 30 min):
    # interval samples of traversals of edges under 25 m were 68 % off their cell's SUMO speed on average (those
    # of 100 m or more 11 %), and those of edges under 25 m crossed by a 1 Hz route between two fixes averaged
    # 154 km/h (docs/traffic-validation.md).
    interval_min_m: float = 50.0
    # An interval sample over twice its edge's free-flow speed (its limit) is a wrong route, not a drive: on the
    # Belize clip (roads limited to 60 and 80 km/h), 1 Hz routes through 11-24 m edges gave 127-195 km/h. With
    # the 50 m rule: MAPE at 10 % 14.6 % -> 12.8 % (1.5 x: the same).
    limit_factor: float = 2.0
    table_m: float = 4000.0  # precomputed routes: 70 m/s x 60 s = 4.2 km straight is beyond any sane probe


@dataclass(frozen=True, slots=True)
class Pushed:
    outcome: Outcome
    samples: list[SpeedSample] = field(default_factory=list)  # speeds decided by this push
    matched: list[tuple[float, int, float]] = field(default_factory=list)  # (ts, edge, fraction) decided


SAME, UTURN, VIA = 0, 1, 2


class Matcher:
    """Matches the fixes of many vehicles onto `graph` (coordinates in UTM 16N metres)."""

    def __init__(self, graph: RoadGraph, config: MatchConfig = MatchConfig(),
                 index: SegmentIndex | None = None) -> None:
        self.graph, self.config = graph, config
        self.finder = CandidateFinder(graph, index or candidate_index(graph))
        self.table = RouteTable(graph, config.table_m)
        self.reverse = graph.edge_index(graph.head, graph.tail)
        self.fastest = np.minimum(config.limit_factor * graph.speed_mps, config.max_speed_mps)  # per edge
        self.counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        self.slots = Slots(config.k, config.interval_min_m)

    @property
    def active(self) -> int:
        return len(self.slots.of)

    def push(self, vehicle: str, ts: float, x: float, y: float, speed_mps: float | None = None,
             heading_deg: float | None = None) -> Pushed:
        def number(v: float | None) -> float:
            try:
                return float("nan") if v is None else float(v)
            except (TypeError, ValueError, OverflowError):
                return float("inf")  # not a number at all: bad like inf
        return self.push_many([vehicle], np.array([number(ts)]), np.array([[number(x), number(y)]]),
                              np.array([number(speed_mps)]), np.array([number(heading_deg)]))[0]

    def push_many(self, vehicles: Sequence[str], ts: FloatArray, xy: FloatArray, speed_mps: FloatArray,
                  heading_deg: FloatArray) -> list[Pushed]:
        """One fix each for many vehicles (a vehicle named twice: its fixes in the order given)."""
        ts, xy = np.asarray(ts, dtype=float).reshape(-1), np.asarray(xy, dtype=float).reshape(-1, 2)
        speed, heading = np.asarray(speed_mps, dtype=float), np.asarray(heading_deg, dtype=float)
        seen: dict[str, int] = {}
        rank = np.zeros(len(vehicles), dtype=np.intp)
        for i, v in enumerate(vehicles):
            rank[i] = seen[v] = seen.get(v, -1) + 1
        out: list[Pushed | None] = [None] * len(vehicles)
        for r in range(int(rank.max(initial=-1)) + 1):
            rows = np.flatnonzero(rank == r)
            for row, pushed in zip(rows, self._batch([vehicles[int(i)] for i in rows], ts[rows], xy[rows],
                                                     speed[rows], heading[rows]), strict=True):
                out[row] = pushed
        done = [p for p in out if p is not None]
        for p in done:
            self.counts[p.outcome] += 1
        return done

    def _batch(self, vehicles: list[str], ts: FloatArray, xy: FloatArray, speed: FloatArray,
               heading: FloatArray) -> list[Pushed]:
        cfg, s = self.config, self.slots
        outcome = np.zeros(len(vehicles), dtype=np.int8)  # an index into OUTCOMES
        bad = ~(np.isfinite(ts) & np.all(np.isfinite(xy), axis=1))
        outcome[bad] = CODE[Outcome.BAD]
        slot = s.lookup(vehicles, ~bad)
        with np.errstate(invalid="ignore"):
            last = s.last_ts[slot]
            outcome[~bad & (ts < last)] = CODE[Outcome.OUT_OF_ORDER]
            outcome[~bad & (ts == last)] = CODE[Outcome.DUPLICATE]
        speed = np.where(np.isfinite(speed) & (speed >= 0), speed, np.nan)
        trusted = np.where((np.isnan(speed) | (speed >= cfg.heading_min_mps)) & np.isfinite(heading), heading, np.nan)
        go = np.flatnonzero(outcome == CODE[Outcome.MATCHED])
        trusted[go] = self._held_heading(slot[go], xy[go], trusted[go])
        cand = self.finder.find(xy[go], trusted[go], cfg.radius_m, cfg.k, cfg.sigma_m, cfg.heading_kappa)
        off = cand.count == 0
        outcome[go[off]] = CODE[Outcome.OFF_NETWORK]
        rows, go = np.flatnonzero(~off), go[~off]
        cand = Candidates(cand.edge[rows], cand.pos_m[rows], cand.log_p[rows])
        at = slot[go]
        dt = ts[go] - s.last_ts[at]
        straight = np.linalg.norm(xy[go] - s.last_xy[at], axis=1)
        was_active = s.layer_edge[at, 0] >= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = was_active & (dt > cfg.max_gap_s)
            teleport = was_active & ~gap & (straight > cfg.max_speed_mps * dt + cfg.route_slack_m)
        outcome[go[gap]] = CODE[Outcome.GAP]
        outcome[go[teleport]] = CODE[Outcome.TELEPORT]
        samples: list[list[SpeedSample]] = [[] for _ in vehicles]
        matched: list[list[tuple[float, int, float]]] = [[] for _ in vehicles]
        step = was_active & ~gap & ~teleport
        if step.any():
            self._step(go[step], at[step], ts[go[step]], dt[step], straight[step],
                       Candidates(cand.edge[step], cand.pos_m[step], cand.log_p[step]), samples, matched)
        for i in np.flatnonzero(~step):  # a new trace starts at this fix, the old one (if any) is decided
            row, sl = go[i], int(at[i])
            self._finish(sl, row, samples, matched)
            s.restart(sl, cand.edge[i], cand.pos_m[i], cand.log_p[i])
        s.last_ts[at], s.last_xy[at], s.pend_speed[at] = ts[go], xy[go], speed[go]
        return [Pushed(OUTCOMES[o], samples[i], matched[i]) for i, o in enumerate(outcome)]

    def _held_heading(self, at: IntArray, xy: FloatArray, trusted: FloatArray) -> FloatArray:
        """The heading to match with: the trusted one, else the slot's last trusted one while the vehicle is within
        sigma_m of where it was reported. A car stopped in a queue still points the way it drove; without its
        heading, a car standing in the outer lane of a Belize City trunk road (4.8 m off its line) lost that road
        from its k candidates to the junction's nearer stubs, both ways each (149 of 568 wrong matches, SUMO)."""
        s = self.slots
        fresh = np.isfinite(trusted)
        s.head_deg[at[fresh]], s.head_xy[at[fresh]] = trusted[fresh], xy[fresh]
        with np.errstate(invalid="ignore"):
            near = np.linalg.norm(xy - s.head_xy[at], axis=1) < self.config.sigma_m
        return np.where(fresh | ~near, trusted, s.head_deg[at])

    def _step(self, rows: IntArray, at: IntArray, ts: FloatArray, dt: FloatArray, straight: FloatArray,
              cand: Candidates, samples: list[list[SpeedSample]], matched: list[list[tuple[float, int, float]]]
              ) -> None:
        s = self.slots
        width = max(1, int((s.layer_edge[at] >= 0).sum(axis=1).max()))
        e1, p1, s1 = s.layer_edge[at, :width], s.layer_pos[at, :width], s.layer_score[at, :width]
        log_t, route, kind = self._transitions(e1, p1, cand.edge, cand.pos_m, straight, dt)
        total = s1[:, :, None] + log_t
        best_prev = np.argmax(total, axis=1)
        score = np.take_along_axis(total, best_prev[:, None, :], axis=1)[:, 0, :] + cand.log_p
        broken = ~np.isfinite(score.max(axis=1))
        for i in np.flatnonzero(broken):  # no way from the last fix to this one: a new trace here
            self._finish(int(at[i]), int(rows[i]), samples, matched)
            s.restart(int(at[i]), cand.edge[i], cand.pos_m[i], cand.log_p[i])
        ok = np.flatnonzero(~broken)
        if not len(ok):
            return
        chosen = best_prev[ok, np.argmax(score[ok], axis=1)]
        self._decide(at[ok], rows[ok], chosen, samples, matched)
        new = log_t[ok, chosen, :] + cand.log_p[ok]
        s.store(at[ok], cand.edge[ok], cand.pos_m[ok], new - new.max(axis=1, keepdims=True),
                route[ok, chosen, :], kind[ok, chosen, :])

    def _transitions(self, e1: IntArray, p1: FloatArray, e2: IntArray, p2: FloatArray, straight: FloatArray,
                     dt: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.int8]]:
        """(B, Kp, Kc) transition log-likelihoods, route metres and kinds between consecutive candidates."""
        cfg, g = self.config, self.graph
        a_edge, a_pos = e1[:, :, None], p1[:, :, None]
        b_edge, b_pos = e2[:, None, :], p2[:, None, :]
        valid = (a_edge >= 0) & (b_edge >= 0)
        a_safe, b_safe = np.maximum(a_edge, 0), np.maximum(b_edge, 0)
        length = g.length_m[a_safe]
        same = valid & (a_edge == b_edge) & (b_pos >= a_pos - cfg.backtrack_m)
        head, tail = np.broadcast_arrays(g.head[a_safe], g.tail[b_safe])
        node_m = np.where(head == tail, 0.0, np.inf)
        need = valid & ~same & (head != tail)
        node_m[need] = self.table.distance(head[need], tail[need])
        route = np.where(same, np.maximum(b_pos - a_pos, 0.0), (length - a_pos) + node_m + b_pos)
        kind = np.where(same, SAME, VIA)
        # The speed bound's allowance is 2 sigma: 10 m fixes at 1 Hz otherwise let 100 m detours through a
        # town's short edges pass as 97 m/s (seen on the shipped roads).
        bound = np.minimum(cfg.route_factor * straight + cfg.route_slack_m,
                           cfg.max_speed_mps * dt + 2 * cfg.sigma_m)[:, None, None]
        straight3 = straight[:, None, None]
        log_t = np.where(valid & (route <= bound), -np.abs(route - straight3) / cfg.beta_m, -np.inf)
        u_route = np.abs(a_pos - (length - b_pos))
        u_log = -np.abs(u_route - straight3) / cfg.beta_m - cfg.uturn_nats
        uturn = valid & (b_edge == self.reverse[a_safe]) & (u_route <= bound) & (u_log > log_t)
        return (np.where(uturn, u_log, log_t), np.where(uturn, u_route, route),
                np.where(uturn, UTURN, kind).astype(np.int8))

    def _decide(self, at: IntArray, rows: IntArray, chosen: IntArray, samples: list[list[SpeedSample]],
                matched: list[list[tuple[float, int, float]]]) -> None:
        """Decide each slot's pending fix as its candidate `chosen`; record the samples and match per row."""
        s, length = self.slots, self.graph.length_m
        edge, pos = s.layer_edge[at, chosen], s.layer_pos[at, chosen]
        kind, route = s.layer_kind[at, chosen], s.layer_route[at, chosen]
        ts, speed, prev_ts = s.last_ts[at], s.pend_speed[at], s.dec_ts[at]
        first = s.dec_edge[at] < 0
        same = ~first & (kind == SAME) & (s.trav.edge[at] == edge)
        if same.any():
            s.trav.same_edge(at[same], pos[same] - s.dec_pos[at[same]], ts[same] - prev_ts[same])
        fraction = np.divide(pos, length[edge], out=np.zeros(len(at)), where=length[edge] > 0)
        for sl, row, e, p, f, t, v, new, moved, k, r, t0, token in zip(
                at.tolist(), rows.tolist(), edge.tolist(), pos.tolist(), fraction.tolist(), ts.tolist(),
                speed.tolist(), first.tolist(), (~same).tolist(), kind.tolist(), route.tolist(), prev_ts.tolist(),
                s.token[at].tolist(), strict=True):
            out = samples[row]
            if new:
                s.trav.start(sl, e, t)
            elif moved:
                pieces = self._pieces(int(s.dec_edge[sl]), float(s.dec_pos[sl]), e, p, k, r)
                out.extend(replace(x, token=token) for x in self._plausible(s.trav.interval(sl, pieces, t0, t)))
            if v == v:  # not NaN: a speed was reported
                out.append(SpeedSample(e, t, v, True, p, token))
            matched[row].append((t, e, f))
        s.dec_edge[at], s.dec_pos[at], s.dec_ts[at] = edge, pos, ts

    def _pieces(self, e1: int, p1: float, e2: int, p2: float, kind: int, route: float) -> list[tuple[int, float]]:
        """The metres driven on each edge from (e1, p1) to (e2, p2) by the route the transition scored."""
        if kind == SAME:
            return [(e1, p2 - p1)]
        if kind == UTURN:
            return [(e1, 0.0), (e2, route)]
        g = self.graph
        middle = [] if g.head[e1] == g.tail[e2] else self.table.edges(int(g.head[e1]), int(g.tail[e2]))
        return [(e1, float(g.length_m[e1]) - p1), *((e, float(g.length_m[e])) for e in middle), (e2, p2)]

    def _finish(self, slot: int, row: int, samples: list[list[SpeedSample]],
                matched: list[list[tuple[float, int, float]]]) -> None:
        """Decide a slot's pending fix by its best score and close its traversal (nothing if no trace)."""
        s = self.slots
        if s.layer_edge[slot, 0] >= 0:
            at = np.array([slot])
            self._decide(at, np.array([row]), np.argmax(s.layer_score[at], axis=1), samples, matched)
        token = int(s.token[slot])
        samples[row].extend(replace(x, token=token) for x in self._plausible(s.trav.close(slot)))
        s.end(slot)

    def _plausible(self, interval: list[SpeedSample]) -> list[SpeedSample]:
        """The interval samples no faster than their edge allows."""
        return [x for x in interval if x.speed_mps <= self.fastest[x.edge]]

    def flush(self, vehicle: str) -> Pushed:
        """End a vehicle's trace: decide its pending fix and give what is left."""
        slot = self.slots.of.get(vehicle)
        samples: list[list[SpeedSample]] = [[]]
        matched: list[list[tuple[float, int, float]]] = [[]]
        if slot is not None:
            self._finish(slot, 0, samples, matched)
        return Pushed(Outcome.MATCHED, samples[0], matched[0])

    def forget(self, silent_since: float) -> list[SpeedSample]:
        """Flush and drop every vehicle whose last fix is older than `silent_since`; their samples."""
        out: list[SpeedSample] = []
        for vehicle, slot in list(self.slots.of.items()):
            if not self.slots.last_ts[slot] >= silent_since:
                out.extend(self.flush(vehicle).samples)
                self.slots.drop(vehicle)
        return out

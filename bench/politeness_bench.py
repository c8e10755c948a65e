"""What fleet-wide politeness costs per request: the store-backed host gate
against the in-process gate alone, on SQLite and PostgreSQL.

    python bench/politeness_bench.py [--requests 3000] [--hosts 50] [--parallel 8]
                                     [--backend sqlite|postgresql|both]
                                     [--postgres postgresql://postgres@127.0.0.1:5432]

Each request is one ``HostGate.hold`` with no HTTP behind it and
``per_host_delay`` 0, so nothing sleeps and only the gate's own work is
timed: ``--parallel`` coroutines take ``--requests`` holds in all, spread
over ``--hosts`` host names. Three ways:

- ``local``: the in-process gate alone (what a single process did before);
- ``fleet``: the same gate with a :class:`~ingestd.service.politeness.StoreFleet`
  (a fleet slot and turn in one call to its thread, the slot given back in
  another, in the background: the store's own connection in its own
  thread, as the daemon runs it);
- ``sql``: the store statements alone, called in a plain loop on one
  connection (no thread hop, no event loop): what the database itself costs,
  with commits relaxed as the fleet's connection has them
  (:meth:`~ingestd.store.hosts.HostGateStore.relax_commits`); ``sql-d`` the
  same with durable commits (on PostgreSQL, a WAL flush per statement);
- ``2 wkrs``: two fleets (two workers, two connections), four requests in
  flight each, all to ONE host with a 50 ms delay: the statements per
  request once turns are waited for (a pause re-check after a wait over
  50 ms) and slots are held by the other worker (polls), and the smallest
  gap between request starts (at least the delay, or the gate is wrong).
  Its µs per request is the spacing, not a cost.

Printed per backend: µs per request, store round trips per request, the
ratio to ``local``, and the event loop's worst lag while the gate ran (a
1 ms ticker beside the requests: a store call blocking the loop would show
here as its full duration).

PostgreSQL runs in a uniquely named database created and dropped by the run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.store_bench import database  # a fresh store per backend, dropped after
from ingestd.fetch.hosts import HostGate
from ingestd.service.politeness import StoreFleet
from ingestd.store import open_store

SLOTS = 2
MAX_WAIT = 30.0
HOLD = 120.0


CONTENDED_DELAY = 0.05


def smallest_gap(starts: list[float]) -> float:
    return min(b - a for a, b in itertools.pairwise(sorted(starts)))


async def contended(url: str, requests: int) -> Run:
    """Two workers (two fleets, two connections) on ONE host with a delay: the
    statements a request really costs when turns are waited for and slots
    are taken by the other worker; checks the spacing held."""
    fleets = [StoreFleet(lambda: open_store(url, create=False)) for _ in range(2)]
    for fleet in fleets:
        await fleet.start()
    starts: list[float] = []
    try:
        gates = [
            HostGate(SLOTS, CONTENDED_DELAY, max_wait=MAX_WAIT, fleet=f, slot_hold=HOLD)
            for f in fleets
        ]
        counter = iter(range(requests))
        before = sum(f.statements for f in fleets)

        async def worker(gate: HostGate) -> None:
            for n in counter:
                async with gate.hold("busy.example", f"https://busy.example/{n}"):
                    starts.append(time.monotonic())
                    await asyncio.sleep(0.01)  # the request itself

        started = time.perf_counter()
        await asyncio.gather(*(worker(gate) for gate in gates for _ in range(4)))
        for gate in gates:
            await gate.drain()
        elapsed = time.perf_counter() - started
        statements = sum(f.statements for f in fleets) - before
    finally:
        for fleet in fleets:
            await fleet.close()
    # The same load on one in-process gate: how close its starts come, for scale.
    alone: list[float] = []
    gate = HostGate(SLOTS, CONTENDED_DELAY, max_wait=MAX_WAIT)
    counter = iter(range(requests))

    async def local_worker() -> None:
        for n in counter:
            async with gate.hold("busy.example", f"https://busy.example/{n}"):
                alone.append(time.monotonic())
                await asyncio.sleep(0.01)

    await asyncio.gather(*(local_worker() for _ in range(8)))
    print(
        f"  (contended: 2 workers x 4 on one host, delay {CONTENDED_DELAY * 1000:.0f} ms:"
        f" smallest gap between starts {smallest_gap(starts) * 1000:.1f} ms;"
        f" one in-process gate under the same load {smallest_gap(alone) * 1000:.1f} ms)"
    )
    return Run("2 wkrs", elapsed, requests, statements, 0.0)


@dataclass
class Run:
    way: str
    seconds: float
    requests: int
    round_trips: int
    worst_lag_ms: float

    @property
    def us(self) -> float:
        return self.seconds / self.requests * 1e6


async def _ticker(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        worst[0] = max(worst[0], time.perf_counter() - before - 0.001)


async def _gate_run(
    gate: HostGate, requests: int, hosts: int, parallel: int
) -> tuple[float, float]:
    counter = iter(range(requests))
    stop = asyncio.Event()
    worst = [0.0]

    async def worker() -> None:
        for n in counter:
            async with gate.hold(
                f"host{n % hosts}.example", f"https://host{n % hosts}.example/{n}"
            ):
                pass
            await asyncio.sleep(0)  # as a real fetch would: let the ticker run

    ticker = asyncio.ensure_future(_ticker(stop, worst))
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    await gate.drain()
    elapsed = time.perf_counter() - started
    stop.set()
    await ticker
    return elapsed, worst[0] * 1000.0


async def measure(url: str, requests: int, hosts: int, parallel: int) -> list[Run]:
    runs = []
    # Warm-up (imports, first statements, host rows) is not timed.
    local = HostGate(SLOTS, 0.0, max_wait=MAX_WAIT)
    await _gate_run(local, min(requests, 200), hosts, parallel)
    elapsed, lag = await _gate_run(local, requests, hosts, parallel)
    runs.append(Run("local", elapsed, requests, 0, lag))

    fleet = StoreFleet(lambda: open_store(url, create=False))
    await fleet.start()
    try:
        gate = HostGate(SLOTS, 0.0, max_wait=MAX_WAIT, fleet=fleet, slot_hold=HOLD)
        await _gate_run(gate, min(requests, 200), hosts, parallel)
        before, hops = fleet.statements, fleet.calls
        elapsed, lag = await _gate_run(gate, requests, hosts, parallel)
        runs.append(Run("fleet", elapsed, requests, fleet.statements - before, lag))
        print(f"  (fleet: {(fleet.calls - hops) / requests:.2f} calls to its thread per request)")
    finally:
        await fleet.close()

    runs.append(await contended(url, max(20, requests // 100)))
    for way, relaxed in (("sql", True), ("sql-d", False)):
        with open_store(url, create=False) as store:
            if relaxed:
                store.relax_commits()
            started = time.perf_counter()
            for n in range(requests):
                host = f"host{n % hosts}.example"
                holder = f"bench#{n}"
                slot = store.take_host_slot(host, SLOTS, holder, HOLD)
                store.take_host_turn(host, 0.0, MAX_WAIT)
                if slot is not None:
                    store.release_host_slot(host, slot, holder)
            runs.append(Run(way, time.perf_counter() - started, requests, 3 * requests, 0.0))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"{args.requests} requests over {args.hosts} hosts, {args.parallel} at a time,"
        f" per_host_concurrency {SLOTS}, per_host_delay 0 (nothing sleeps)"
    )
    heading = ("backend", "way", "µs/request", "round trips", "× local", "worst loop lag")
    print("{:<11} {:<6} {:>11} {:>12} {:>8} {:>15}".format(*heading))
    for backend in backends:
        with database(backend, args.postgres) as url:
            with open_store(url) as store:
                store.migrate()
            runs = asyncio.run(measure(url, args.requests, args.hosts, args.parallel))
        local = runs[0].us
        for run in runs:
            trips = run.round_trips / run.requests
            lag = f"{run.worst_lag_ms:.1f} ms" if run.way in ("local", "fleet") else "-"
            print(
                f"{backend:<11} {run.way:<6} {run.us:>11.1f} {trips:>12.2f}"
                f" {run.us / local:>8.1f} {lag:>15}"
            )


if __name__ == "__main__":
    main()

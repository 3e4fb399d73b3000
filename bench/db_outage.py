"""PostgreSQL outages in a row, timed: how soon `/readyz` goes red after the database stops, green after it starts,
and every fix published during the outage is stored (counted in PostgreSQL against what was published).

The steps of tests/psn/test_database_outage.py (a private PostgreSQL cluster stopped with `pg_ctl stop -m
immediate`, a real Mosquitto, psn really started), repeated. Run from the repository root:

    python -m bench.db_outage --outages 3 --down-s 3
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from tests.private_postgres import PrivatePostgres
from tests.psn.test_database_outage import FIXES_EACH, UNITS, publish_fixes, readiness, stored_fixes
from tests.support import Mosquitto, RunningServer, make_settings, wait_for


def wait_stored(pg: PrivatePostgres, count: int) -> None:
    wait_for(lambda: stored_fixes(pg) == count, timeout=60, interval=0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", type=int, default=3)
    parser.add_argument("--down-s", type=float, default=3.0, help="how long each outage lasts after the fixes")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the writer logs every failed attempt with its traceback
    tmp = Path(tempfile.mkdtemp(prefix="psn-outage-"))
    pg = PrivatePostgres().init().start()
    broker = Mosquitto(tmp).start()
    running = RunningServer(make_settings(tmp, broker.url, db_url=pg.url)).start()
    published = 0
    try:
        wait_for(lambda: readiness(running)[0] == 200)
        for outage in range(args.outages):
            stopped = time.monotonic()
            pg.stop("immediate")
            wait_for(lambda: readiness(running)[0] == 503, timeout=30, interval=0.02)
            red = time.monotonic() - stopped
            publish_fixes(broker.url, time.time() - 3600 + outage * FIXES_EACH)
            published += len(UNITS) * FIXES_EACH
            time.sleep(args.down_s)
            started = time.monotonic()
            pg.start()
            wait_for(lambda: readiness(running)[0] == 200, timeout=30, interval=0.02)
            green = time.monotonic() - started
            wait_stored(pg, published)
            print(f"outage {outage + 1}: red {red:.2f} s after the stop; after the start, green in {green:.2f} s "
                  f"and all {len(UNITS) * FIXES_EACH} fixes of the outage stored in {time.monotonic() - started:.2f} s")
        print(f"stored {stored_fixes(pg)} of {published} published")
    finally:
        running.stop()
        broker.stop()
        pg.remove()


if __name__ == "__main__":
    main()

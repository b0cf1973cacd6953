#!/usr/bin/env python3
"""Writes a request trace for scenarios/replay.toml (the shop of ecommerce.toml).

Usage (Python standard library only; the same seed always gives the same file):

    python3 scripts/make_trace.py > scenarios/traces/shop_sessions.csv
    python3 scripts/make_trace.py --lines 10000000 --seed 2 > /tmp/big.csv   # bench/bench_trace.cpp

Shoppers arrive in sessions (Poisson, at a rate that swells and ebbs like the
traffic of a lunch hour, with a short promotion burst); each session opens the
home page, browses a few searches and product pages with think times between
them, and sometimes checks out. Columns: time (seconds from the start),
op (an op of the frontend service), key (the shopper, so carts stick to a
server) and size (request bytes: searches carry their query, checkouts a cart).
"""
import argparse
import heapq
import math
import random
import sys


def session_rate(t, duration):
    """Sessions per second at time t: a smooth swell plus a burst at 60% of the run."""
    base = 6.0 + 4.0 * math.sin(math.pi * t / duration)
    burst = 12.0 * math.exp(-((t - 0.6 * duration) / (0.03 * duration)) ** 2)
    return base + burst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=4000, help="requests to write (default 4000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    # Sessions at ~8/s, ~5 requests each: about 40 requests per second of trace.
    duration = args.lines / 40.0
    peak = 22.0
    pending = []  # heap of (time, seq, op, key, size): requests of open sessions
    seq = 0
    t = 0.0
    out = sys.stdout
    out.write("time,op,key,size\n")
    written = 0
    user = 0
    while written < args.lines:
        # Next session start by thinning against the peak rate (exact for a bounded rate).
        t += rng.expovariate(peak)
        if rng.random() * peak > session_rate(min(t, duration), duration):
            continue
        user += 1
        key = f"u{rng.randrange(1, 20000)}"
        s = t
        pages = [("home", 2000)]
        for _ in range(rng.choice((1, 2, 3, 4, 5))):
            if rng.random() < 0.5:
                pages.append(("search", 1500 + rng.randrange(0, 1000)))
            else:
                pages.append(("product", 2000))
        if rng.random() < 0.12:
            pages.append(("checkout", 3000 + 500 * rng.randrange(1, 8)))
        for op, size in pages:
            heapq.heappush(pending, (s, seq, op, key, size))
            seq += 1
            s += rng.expovariate(1 / 4.0)  # think time, mean 4 s
        # Requests earlier than the next session can start are final: write them in order.
        while pending and pending[0][0] <= t and written < args.lines:
            when, _, op, k, size = heapq.heappop(pending)
            out.write(f"{when:.6f},{op},{k},{size}\n")
            written += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

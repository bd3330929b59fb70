#!/usr/bin/env python3
"""Load test and hostile soak of `img2img serve`, loopback only and bounded in time (`make load-test`).

1. Load: CLIENTS threads each send REQUESTS valid image-to-image requests, one after another, while another
   thread polls GET /health (its latency is reported) and another samples the server's VmRSS. Every request must
   be answered (200, or 503 when the queue is full; with --queue-capacity ≥ CLIENTS none is refused, so all must
   be 200), and RSS must stay flat: the median of the last quarter of the samples at most --rss-tolerance (15 %)
   above the median of the first quarter.
2. Soak: the hostile corpus (hostile_corpus.py: runner_parity's request cases plus raw malformed HTTP; --rounds).
   Each request must be answered or its connection closed within its timeout, never a 500. Then one valid
   request must succeed and the server must still be alive, and its log must hold no sanitizer report.

Standard library only. Usage (after `swift build -c release --product img2img`):
    scripts/load_test.py [--binary .build/release/img2img] [--clients 8] [--requests 25] [--rounds 2]
"""

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, deque

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_corpus import TOKEN, corpus, exchange, valid_request  # noqa: E402
from rss_check import rss_kib  # noqa: E402

SANITIZER_REPORT = re.compile(r"ERROR: (Address|Thread|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")


class Server:
    """`img2img serve --port 0` with a token; its stderr is kept for the port, failures and sanitizer reports."""

    def __init__(self, binary: str, queue_capacity: int):
        environment = dict(os.environ, AUTH_TOKEN=TOKEN)
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--queue-capacity", str(queue_capacity)],
                                        stderr=subprocess.PIPE, env=environment)
        self.log = deque(maxlen=2000)
        self.port = None
        listening = threading.Event()

        def drain():
            for raw in self.process.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                self.log.append(line)
                found = re.search(r"listening on \S+:(\d+)", line)
                if found:
                    self.port = int(found.group(1))
                    listening.set()
            listening.set()

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        if not listening.wait(120) or self.port is None:
            raise RuntimeError("the server did not report its port:\n" + "\n".join(self.log))

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_healthy(self, seconds: float = 300):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.alive():
            try:
                if get_health(self.port)[0] == b'{"status":"OK"}':
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the model did not load:\n" + "\n".join(self.log))

    def stop(self) -> int:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=10)
        return self.process.returncode

    def sanitizer_reports(self):
        return [line for line in self.log if SANITIZER_REPORT.search(line)]


def get_health(port: int):
    """(body, seconds) of one GET /health on a new connection."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/health")
        body = connection.getresponse().read()
    finally:
        connection.close()
    return body, time.monotonic() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def load_phase(server: Server, args):
    """Runs the clients, the health poller and the RSS sampler; returns (statuses, errors, health, rss, seconds)."""
    statuses, errors, health, rss = Counter(), [], [], []
    lock, done = threading.Lock(), threading.Event()

    def client(index):
        for number in range(args.requests):
            payload = valid_request(size=args.size, steps=args.steps, seed=index * 1000 + number)
            outcome = exchange(server.port, payload, timeout=args.request_timeout)
            with lock:
                if outcome.statuses:
                    statuses[outcome.statuses[0]] += 1
                else:
                    errors.append(f"client {index} request {number}: {outcome.ending}")

    def poll_health():
        while not done.is_set():
            try:
                body, seconds = get_health(server.port)
                health.append(seconds if body == b'{"status":"OK"}' else float("inf"))
            except OSError as error:
                errors.append(f"health: {error!r}")
            done.wait(args.health_interval)

    def sample_rss():
        while not done.is_set() and server.alive():
            rss.append(rss_kib(server.process.pid))
            done.wait(0.1)

    helpers = [threading.Thread(target=poll_health), threading.Thread(target=sample_rss)]
    clients = [threading.Thread(target=client, args=(index,)) for index in range(args.clients)]
    started = time.monotonic()
    for thread in helpers + clients:
        thread.start()
    for thread in clients:
        thread.join()
    elapsed = time.monotonic() - started
    done.set()
    for thread in helpers:
        thread.join()
    return statuses, errors, health, rss, elapsed


def soak_phase(server: Server, rounds: int):
    """Sends the corpus `rounds` times; returns [(case, outcome, verdict)], verdict 'ok' or 'FAIL'."""
    results = []
    for _ in range(rounds):
        for case in corpus():
            outcome = exchange(server.port, case.payload, timeout=case.timeout, responses=case.responses,
                               half_close=case.half_close)
            results.append((case, outcome, case.verdict(outcome) if server.alive() else "FAIL"))
            if not server.alive():
                return results
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/img2img")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--size", type=int, default=64, help="input image width and height")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--queue-capacity", type=int, help="default: --clients, so that none is refused")
    parser.add_argument("--request-timeout", type=float, default=120)
    parser.add_argument("--health-interval", type=float, default=0.05)
    parser.add_argument("--rss-tolerance", type=float, default=0.15)
    parser.add_argument("--rounds", type=int, default=1, help="passes over the hostile corpus")
    args = parser.parse_args()
    capacity = args.clients if args.queue_capacity is None else args.queue_capacity

    server = Server(args.binary, capacity)
    failures = []
    try:
        server.wait_healthy()
        # One request first, so the samples start with the model's working set in place.
        warm = exchange(server.port, valid_request(size=args.size, steps=args.steps, seed=1), timeout=args.request_timeout)
        if warm.statuses != [200]:
            failures.append(f"the warm-up request got {warm.statuses or warm.ending}")
        statuses, errors, health, rss, elapsed = load_phase(server, args)
        answered = sum(statuses.values())
        total = args.clients * args.requests
        quarter = max(1, len(rss) // 4)
        first, last = statistics.median(rss[:quarter]), statistics.median(rss[-quarter:])
        growth = (last - first) / first
        healthy = [s for s in health if s != float("inf")]
        print(f"load: {args.clients} clients x {args.requests} requests ({args.size}x{args.size}, {args.steps} steps, "
              f"queue capacity {capacity}) in {elapsed:.1f} s")
        print(f"  {'answered':22} {answered}/{total}  statuses {dict(sorted(statuses.items()))}")
        print(f"  {'/health':22} {len(health)} polls, {len(health) - len(healthy)} not OK, "
              f"p50 {percentile(healthy, 0.5) * 1000:.1f} ms, p95 {percentile(healthy, 0.95) * 1000:.1f} ms, "
              f"max {max(healthy, default=float('nan')) * 1000:.1f} ms")
        print(f"  {'RSS (VmRSS)':22} {len(rss)} samples; first-quarter median {first / 1024:.1f} MiB, last-quarter "
              f"median {last / 1024:.1f} MiB ({growth * 100:+.1f} %), peak {max(rss) / 1024:.1f} MiB")
        failures += errors
        if answered != total or set(statuses) - {200, 503} or (capacity >= args.clients and statuses[200] != total):
            failures.append(f"load: statuses {dict(statuses)} for {total} requests")
        if len(healthy) != len(health):
            failures.append("load: /health was not OK every time")
        if growth > args.rss_tolerance:
            failures.append(f"load: RSS grew {growth * 100:.1f} % (> {args.rss_tolerance * 100:.0f} %)")

        started = time.monotonic()
        results = soak_phase(server, args.rounds)
        final = exchange(server.port, valid_request(size=args.size, steps=args.steps, seed=2),
                         timeout=args.request_timeout) if server.alive() else None
        verdicts = Counter(verdict for _, _, verdict in results)
        endings = Counter(f"{outcome.statuses[0]}" if outcome.statuses else outcome.ending for _, outcome, _ in results)
        print(f"soak: {len(results)} hostile requests ({args.rounds} rounds) in {time.monotonic() - started:.1f} s; "
              f"ok {verdicts['ok']}, failures {verdicts['FAIL']}")
        print(f"  {'answers':22} " + ", ".join(f"{k}: {v}" for k, v in sorted(endings.items())))
        seen = set()
        for case, outcome, verdict in results:
            if verdict != "ok" and case.name not in seen:
                seen.add(case.name)
                print(f"  {verdict:5} {case.name}: {outcome.describe()}")
                failures.append(f"soak: {case.name}: {outcome.describe()}")
        final_ok = final is not None and final.statuses == [200] and b'"images"' in final.body
        print(f"  {'valid request after':22} {final.describe() if final else 'server dead'}")
        if not final_ok:
            failures.append("soak: the valid request after the corpus failed")
        if not server.alive():
            failures.append(f"the server died (exit {server.process.returncode})")
    finally:
        code = server.stop()
    reports = server.sanitizer_reports()
    print(f"server exit status {code} after SIGTERM; {len(reports)} sanitizer report lines in its log")
    failures += reports[:20]
    for failure in failures:
        print("FAIL " + failure)
    if failures:
        print("\n".join(list(server.log)[-40:]))
    print("PASS" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

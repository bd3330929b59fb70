#!/usr/bin/env python3
"""Memory-stability check of `img2img serve`: starts the server on the bundled model, sends N sequential
image-to-image requests, and compares the process's resident set size (VmRSS from /proc) after the first
request with the size after the last. Passes when the growth is within --tolerance (5 %).

Standard library only. Usage (after `swift build -c release --product img2img`):
    scripts/rss_check.py [--binary .build/release/img2img] [--requests 50] [--port 8766] [--size 64] [--steps 10]
"""

import argparse
import http.client
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_parity import MULTIPART, multipart, png  # noqa: E402


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def request(port: int, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", "/image-to-image", body=body, headers={"Content-Type": MULTIPART})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/img2img")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--size", type=int, default=64, help="input image width and height")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--settle", type=float, default=0.1,
                        help="seconds to wait after each answer before reading RSS (the server trims its heap then)")
    args = parser.parse_args()

    server = subprocess.Popen([args.binary, "serve", "--port", str(args.port)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                connection.request("GET", "/health")
                if b'"OK"' in connection.getresponse().read():
                    break
            except OSError:
                pass
            time.sleep(0.1)
        samples = []
        started = time.monotonic()
        for index in range(args.requests):
            body = multipart([("prompt", f"request {index}"), ("image", ("in.png", "image/png", png(args.size, args.size))),
                              ("num_inference_steps", str(args.steps)), ("seed", str(index)), ("strength", "0.8")])
            status = request(args.port, body)
            if status != 200:
                print(f"request {index + 1}: status {status}")
                return 1
            time.sleep(args.settle)
            samples.append(rss_kib(server.pid))
        elapsed = time.monotonic() - started
        marks = sorted({1, 2, 5, 10, 25, 50, 100, 200, 500, len(samples)} & set(range(1, len(samples) + 1)))
        print("RSS MiB after request " + ", ".join(f"{m}: {samples[m - 1] / 1024:.1f}" for m in marks))
        first, last, peak = samples[0], samples[-1], max(samples)
        growth = (last - first) / first
        print(f"{args.requests} requests ({args.size}x{args.size}, {args.steps} steps) in {elapsed:.1f} s; RSS after the first "
              f"{first / 1024:.1f} MiB, after the last {last / 1024:.1f} MiB ({growth * 100:+.2f} %), peak {peak / 1024:.1f} MiB")
        return 0 if abs(growth) <= args.tolerance else 1
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())

"""How cost grows with the image: one img2img run with a single UNet call (2 steps × strength 0.5, no guidance, the
bench's `turbo` stage) per model folder and image side, ours (`img2img bench`) and diffusers on PyTorch CPU one
after the other with the same thread count; seconds and peak RSS of each, printed as a Markdown table.

torch runs in a child process watched by a memory guard: when the machine's available memory falls under
--reserve-gb, the child is killed and its row says so (at large sizes torch's fp32 pipeline may not fit).

    python Benchmarks/resolution_scaling.py --threads 2 --sizes 512 768 1024 2048 \
        --model SD1.5=/tmp/sd15 --model SD2.1=/tmp/sd21 --model SDXL=/tmp/sdxl [--json out.json]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare_torch import status_bytes  # noqa: E402  (beside this script; imports no torch at module level)

TORCH_CHILD = """
import json, sys
sys.path.insert(0, {here!r})
import torch
torch.set_num_threads({threads})
from compare_torch import run_torch
load, results = run_torch({model!r}, ["turbo"], 1, 0, {size})
print("RESULT " + json.dumps({{"load": load, "seconds": results["turbo"]["seconds"][0],
                                "peak": results["turbo"]["peak"]}}), flush=True)
"""


def available_bytes():
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def process_rss(pid):
    return status_bytes("VmRSS", pid)


def run_ours(bench, model, size, env):
    with tempfile.TemporaryDirectory() as scratch:
        report = pathlib.Path(scratch) / "ours.json"
        subprocess.run([bench, "bench", "--model", model, "--size", str(size), "--stages", "turbo", "--repeats", "1",
                        "--warmups", "0", "--json", str(report)], env=env, check=True, stdout=subprocess.DEVNULL)
        stage = json.loads(report.read_text())["stages"][0]
        return {"seconds": stage["seconds"][0], "peak": stage["peakResidentBytes"]}


def run_torch(model, size, threads, env, reserve):
    code = TORCH_CHILD.format(here=str(HERE), threads=threads, model=model, size=size)
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    largest = 0
    while child.poll() is None:
        largest = max(largest, process_rss(child.pid))
        if available_bytes() < reserve:
            child.kill()
            child.wait()
            return {"killed": True, "peak": largest}
        time.sleep(0.25)
    for line in child.stdout.read().splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"failed": child.returncode, "peak": largest}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", required=True, help="LABEL=FOLDER (repeatable)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 768, 1024, 2048])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--reserve-gb", type=float, default=1.0,
                        help="kill torch when the machine's available memory falls below this")
    parser.add_argument("--skip-torch-above", type=int, default=0,
                        help="sides above this run ours only (0: run torch at every size)")
    parser.add_argument("--bench", default=str(HERE.parent / ".build/release/img2img"))
    parser.add_argument("--json", help="append each row to this JSON-lines file")
    args = parser.parse_args()
    env = dict(os.environ, IMG2IMG_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    print("| model | image | ours s | torch s | ours/torch | ours peak RSS | torch peak RSS |")
    print("|---|---|---|---|---|---|---|", flush=True)
    for entry in args.model:
        label, folder = entry.split("=", 1)
        for size in args.sizes:
            ours = run_ours(args.bench, folder, size, env)
            if args.skip_torch_above and size > args.skip_torch_above:
                theirs = {"skipped": True}
            else:
                theirs = run_torch(folder, size, args.threads, env, args.reserve_gb * 1e9)
            if "seconds" in theirs:
                torch_seconds, ratio = f"{theirs['seconds']:.1f}", f"{ours['seconds'] / theirs['seconds']:.2f}"
                torch_peak = f"{theirs['peak'] / 1e9:.2f} GB"
            elif theirs.get("killed"):
                torch_seconds, ratio = "did not fit", ""
                torch_peak = f"> {theirs['peak'] / 1e9:.1f} GB (stopped)"
            else:
                torch_seconds, ratio, torch_peak = "not run", "", ""
            print(f"| {label} | {size}² | {ours['seconds']:.1f} | {torch_seconds} | {ratio} | "
                  f"{ours['peak'] / 1e9:.2f} GB | {torch_peak} |", flush=True)
            if args.json:
                with open(args.json, "a") as out:
                    out.write(json.dumps({"model": label, "size": size, "ours": ours, "torch": theirs}) + "\n")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Regenerates every parity fixture under Tests/Fixtures/ from the pinned reference implementation.

Usage (from the repo root, in a venv with Tests/Fixtures/requirements.txt installed):
    python Tests/Fixtures/generate.py            # all sections
    python Tests/Fixtures/generate.py kernels    # one section

Each section is a module gen_<name>.py with a `generate(out_dir: pathlib.Path)` function writing into
Tests/Fixtures/<name>/. Sections run in FIRST order, then the rest alphabetically, then LAST (the pipeline
fixtures reuse the tokenizer section's small vocabulary).
"""
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
FIRST = ["kernels", "safetensors", "images", "tokenizer"]
LAST = ["pipelines"]


def sections():
    found = sorted(p.stem[len("gen_"):] for p in HERE.glob("gen_*.py"))
    middle = [name for name in found if name not in FIRST + LAST]
    return [n for n in FIRST if n in found] + middle + [n for n in LAST if n in found]


def main(argv):
    sys.path.insert(0, str(HERE))
    available = sections()
    wanted = argv[1:] or available
    for name in wanted:
        if name not in available:
            raise SystemExit(f"unknown section {name!r}; choose from {available}")
        module = importlib.import_module(f"gen_{name}")
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        print(f"[{name}] -> {out}")
        module.generate(out)


if __name__ == "__main__":
    main(sys.argv)

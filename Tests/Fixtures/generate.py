#!/usr/bin/env python3
"""Regenerates every parity fixture under Tests/Fixtures/ from the pinned reference implementation.

Usage (from the repo root, in a venv with Tests/Fixtures/requirements.txt installed):
    python Tests/Fixtures/generate.py            # all sections
    python Tests/Fixtures/generate.py kernels    # one section

Each section is a module gen_<name>.py with a `generate(out_dir: pathlib.Path)` function.
"""
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SECTIONS = ["kernels", "safetensors", "images", "tokenizer", "models", "pipelines", "safety"]


def main(argv):
    sys.path.insert(0, str(HERE))
    wanted = argv[1:] or SECTIONS
    for name in wanted:
        if name not in SECTIONS:
            raise SystemExit(f"unknown section {name!r}; choose from {SECTIONS}")
        module = importlib.import_module(f"gen_{name}")
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        print(f"[{name}] -> {out}")
        module.generate(out)


if __name__ == "__main__":
    main(sys.argv)

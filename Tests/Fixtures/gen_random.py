"""Random-generator fixtures: what torch.randn draws from a seeded generator.

- cpu_avx2.safetensors: torch.Generator("cpu").manual_seed(seed) + torch.randn(shape, generator=g), run with
  ATEN_CPU_CAPABILITY=avx2. That is the kernel torch uses on every x86-64 CPU with AVX2, AVX-512 included
  (torch registers no AVX-512 normal kernel and falls back to the AVX2 one).
- cpu_default.safetensors: the same under ATEN_CPU_CAPABILITY=default, torch's portable kernel (the one of
  CPUs without AVX2, e.g. aarch64), which transforms with libm instead of avx_mathfun.
- cuda_derived.safetensors: torch.randn(shape, generator=torch.Generator("cuda").manual_seed(seed),
  device="cuda") as derived from torch's and curand's sources (Philox4x32-10, curand_normal4, torch's
  grid-stride launch). No GPU is needed or used: this is a second, independent implementation of the same
  reading of those sources (numpy, float64 transcendental functions), so it checks the Swift port's stream
  and layout, not the GPU's own rounding.

`__metadata__["cases"]` is a JSON list of {"name", "seed", "calls": [shape, ...], ...}: each case draws its
calls in order from ONE fresh generator. Call i of case c is stored as "<c>.<i>" when it has at most
FULL_LIMIT elements; larger calls store "<c>.<i>.head" (first 64 values), "<c>.<i>.tail" (last 64) and
"<c>.<i>.checksum" = [hi, lo], the float32 split of the float64 sum over k of x[k]·(k mod 13 + 1),
accumulated in index order (hi + lo carries about 48 bits, so any one-ulp change of any element shows).
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

FULL_LIMIT = 1024
EDGE = 64
CPU_SEEDS = [0, 1, 42, 2**32 + 5, 4294967295]
CPU_SHAPES = [[1], [3], [8], [15], [16], [17], [31], [1, 4, 64, 64], [4, 65, 65], [2, 4, 9, 7]]
# Successive calls on one generator; mixes the scalar path (< 16 values, cached second Box-Muller value)
# with the 16-wide fill so the cache's survival across calls is pinned.
CPU_SEQUENCES = [
    ("seq_latents_twice", 0, [[1, 4, 8, 8], [1, 4, 8, 8]]),
    ("seq_3_then_5", 0, [[3], [5]]),
    ("seq_mixed", 42, [[3], [16], [1], [17], [2], [5], [1, 4, 64, 64], [7], [1]]),
    ("seq_cache_across_fill", 2**32 + 5, [[1], [20], [1], [1]]),
]
DEFAULT_SHAPES = [[16], [17], [31], [1, 4, 64, 64], [4, 65, 65]]

H100 = {"multi_processor_count": 132, "max_threads_per_multi_processor": 2048}
TINY = {"multi_processor_count": 1, "max_threads_per_multi_processor": 256}  # 256 threads: several calls each
CUDA_CASES = [
    # name, seed, calls, device
    ("cuda_seed0_8", 0, [[8]], H100),
    ("cuda_seed0_8x8", 0, [[8, 8]], H100),
    ("cuda_seed42_latents", 42, [[1, 4, 64, 64], [1, 4, 64, 64]], H100),
    ("cuda_seed0_2x4x65x65", 0, [[2, 4, 65, 65]], H100),
    ("cuda_seed_above_2p32", 2**32 + 5, [[3], [5], [17]], H100),
    ("cuda_tiny_device_grid_stride", 7, [[4, 1000], [8], [2, 4, 9, 7]], TINY),
]


def _store(tensors, key, values):
    import torch

    values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    if values.size <= FULL_LIMIT:
        tensors[key] = torch.from_numpy(values.copy())
        return
    weights = (np.arange(values.size) % 13 + 1).astype(np.float64)
    total = np.cumsum(values.astype(np.float64) * weights)[-1]  # cumsum adds strictly in index order
    hi = np.float32(total)
    lo = np.float32(total - np.float64(hi))
    tensors[key + ".head"] = torch.from_numpy(values[:EDGE].copy())
    tensors[key + ".tail"] = torch.from_numpy(values[-EDGE:].copy())
    tensors[key + ".checksum"] = torch.tensor([hi, lo], dtype=torch.float32)


def _save(tensors, cases, path):
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata={"cases": json.dumps(cases)})


# ---------------------------------------------------------------------------------------------------------
# CPU: run in a child process, because ATEN_CPU_CAPABILITY is read once, when torch loads.

def _cpu_child(capability: str, path: str):
    import torch

    actual = torch.backends.cpu.get_cpu_capability()
    if actual.lower() != capability:
        raise SystemExit(f"asked torch for CPU capability {capability!r} but it runs {actual!r}; "
                         "the avx2 fixtures need an x86-64 CPU with AVX2")
    tensors, cases = {}, []
    seeds_shapes = [(seed, shape) for seed in CPU_SEEDS for shape in CPU_SHAPES] if capability == "avx2" \
        else [(seed, shape) for seed in (0, 42) for shape in DEFAULT_SHAPES]
    for seed, shape in seeds_shapes:
        name = f"seed{seed}_{'x'.join(map(str, shape))}"
        g = torch.Generator("cpu").manual_seed(seed)
        _store(tensors, f"{name}.0", torch.randn(*shape, generator=g).numpy())
        cases.append({"name": name, "seed": seed, "calls": [shape]})
    if capability == "avx2":
        for name, seed, calls in CPU_SEQUENCES:
            g = torch.Generator("cpu").manual_seed(seed)
            for index, shape in enumerate(calls):
                _store(tensors, f"{name}.{index}", torch.randn(*shape, generator=g).numpy())
            cases.append({"name": name, "seed": seed, "calls": calls})
        # torch seeds mt19937 with the low 32 bits only: 2**32 + 5 and 5 give one stream.
        a = torch.randn(40, generator=torch.Generator("cpu").manual_seed(2**32 + 5))
        b = torch.randn(40, generator=torch.Generator("cpu").manual_seed(5))
        assert torch.equal(a, b), "torch no longer truncates CPU seeds to 32 bits"
    _save(tensors, cases, path)


def _generate_cpu(out_dir: pathlib.Path):
    for capability in ("avx2", "default"):
        env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
        subprocess.run([sys.executable, __file__, "cpu-child", capability, str(out_dir / f"cpu_{capability}.safetensors")],
                       env=env, check=True)


# ---------------------------------------------------------------------------------------------------------
# CUDA, derived: curand's Philox4x32-10 and Box-Muller, laid out as torch's distribution_nullary_kernel does.

M0, M1, W0, W1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57), np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Random123 Philox4x32 with 10 rounds, vectorised over uint32 arrays."""
    c0, c1, c2, c3 = (np.asarray(v, dtype=np.uint32) for v in (c0, c1, c2, c3))
    k0, k1 = np.uint32(k0), np.uint32(k1)
    with np.errstate(over="ignore"):
        for _ in range(10):
            p0 = c0.astype(np.uint64) * M0
            p1 = c2.astype(np.uint64) * M1
            c0, c1, c2, c3 = ((p1 >> np.uint64(32)).astype(np.uint32) ^ c1 ^ k0, (p1 & MASK32).astype(np.uint32),
                              (p0 >> np.uint64(32)).astype(np.uint32) ^ c3 ^ k1, (p0 & MASK32).astype(np.uint32))
            k0, k1 = k0 + W0, k1 + W1
    return c0, c1, c2, c3


def curand_box_muller(x, y):
    """curand's _curand_box_muller: (sin(v)·s, cos(v)·s), u from x, v from y (float32 inputs, float64 math)."""
    two_pow32_inv = np.float32(2.3283064e-10)                 # == 2**-32
    two_pow32_inv_2pi = np.float32(two_pow32_inv * np.float32(6.2831855))
    u = (x.astype(np.float32).astype(np.float64) * np.float64(two_pow32_inv) + np.float64(two_pow32_inv) / 2)
    u = u.astype(np.float32)                                   # exact: the product is a power-of-two scaling
    v = (y.astype(np.float32).astype(np.float64) * np.float64(two_pow32_inv_2pi)
         + np.float64(two_pow32_inv_2pi) / 2).astype(np.float32)  # the fused multiply-add nvcc emits
    s = np.sqrt(-2.0 * np.log(u.astype(np.float64)))
    return np.sin(v.astype(np.float64)) * s, np.cos(v.astype(np.float64)) * s


def cuda_randn(numel, seed, offset, device):
    """Values and the generator's offset increment for one torch.randn call on a CUDA generator."""
    block = 256
    grid = min(device["multi_processor_count"] * (device["max_threads_per_multi_processor"] // block),
               (numel + block - 1) // block)
    threads = grid * block
    calls = (numel - 1) // (threads * 4) + 1
    out = np.zeros(numel, dtype=np.float64)
    thread = np.arange(threads, dtype=np.uint64)
    for k in range(calls):
        counter = np.uint64(offset // 4 + k)
        r = philox4x32_10(np.full(threads, counter & MASK32, dtype=np.uint64).astype(np.uint32),
                          np.full(threads, counter >> np.uint64(32), dtype=np.uint64).astype(np.uint32),
                          (thread & MASK32).astype(np.uint32), (thread >> np.uint64(32)).astype(np.uint32),
                          seed & 0xFFFFFFFF, seed >> 32)
        first = curand_box_muller(r[0], r[1])
        second = curand_box_muller(r[2], r[3])
        normals = [first[0], first[1], second[0], second[1]]
        for ii in range(4):
            index = thread.astype(np.int64) + k * threads * 4 + threads * ii
            keep = index < numel
            out[index[keep]] = normals[ii][keep]
    return out.astype(np.float32), calls * 4


def _generate_cuda(out_dir: pathlib.Path):
    tensors, cases = {}, []
    for name, seed, calls, device in CUDA_CASES:
        offset = 0
        for index, shape in enumerate(calls):
            values, increment = cuda_randn(int(np.prod(shape)), seed, offset, device)
            offset += increment
            _store(tensors, f"{name}.{index}", values)
        cases.append({"name": name, "seed": seed, "calls": calls, "device": device})
    _save(tensors, cases, out_dir / "cuda_derived.safetensors")


def generate(out_dir: pathlib.Path):
    _generate_cpu(out_dir)
    _generate_cuda(out_dir)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "cpu-child":
    _cpu_child(sys.argv[2], sys.argv[3])

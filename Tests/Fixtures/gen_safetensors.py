"""Fixtures for the SafeTensors module, written by the official `safetensors` library and torch.

- specials.safetensors: F16, BF16 and F32 tensors with special values (±0, subnormals, ±Inf, NaN, extremes),
  random values, a 0-d scalar and empty tensors; specials_expected.safetensors holds the same tensors
  widened by torch (`.float()`), which the reader must reproduce bit for bit.
- narrowing_source.safetensors (F32) and narrowed_{f32,f16,bf16}.safetensors: the source cast by torch and
  saved with metadata {"format": "pt"}; the Swift writer must produce the same bytes.
- sharded/: a checkpoint split into two shards with its index, written by huggingface_hub, plus
  sharded_expected.safetensors (all tensors in one F32 file).
"""
import pathlib
import shutil

import torch
from huggingface_hub import save_torch_state_dict
from safetensors.torch import save_file


def bits(values, dtype):
    """A 1-d tensor of `dtype` with the given 16-bit patterns."""
    return torch.tensor([v - 0x10000 if v >= 0x8000 else v for v in values], dtype=torch.int16).view(dtype)


def special_tensors():
    generator = torch.Generator().manual_seed(0)
    f16_bits = [0x0000, 0x8000, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x0400, 0x8400, 0x0001, 0x8001, 0x03FF,
                0x0200, 0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x2E66, 0x3555, 0x4100]
    bf16_bits = [0x0000, 0x8000, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F, 0x0080, 0x8080, 0x0001, 0x8001, 0x007F,
                 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x3DCD, 0x3EAB, 0x4049]
    f32_values = [0.0, -0.0, 1.0, -1.0, 3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45,
                  -1.401298464324817e-45, float("inf"), float("-inf"), float("nan"), 0.1, 1.0 / 3.0]
    return {
        "f16.specials": bits(f16_bits, torch.float16),
        "bf16.specials": bits(bf16_bits, torch.bfloat16),
        "f32.specials": torch.tensor(f32_values, dtype=torch.float32),
        "f16.random": torch.randn(2, 3, 4, generator=generator).to(torch.float16),
        "bf16.random": torch.randn(3, 5, generator=generator).to(torch.bfloat16),
        "f32.random": torch.randn(4, 1, 2, generator=generator),
        "f16.scalar": torch.tensor(-2.5, dtype=torch.float16),
        "bf16.scalar": torch.tensor(0.15625, dtype=torch.bfloat16),
        "f32.scalar": torch.tensor(7.25, dtype=torch.float32),
        "f16.empty": torch.zeros(0, dtype=torch.float16),
        "bf16.empty": torch.zeros(2, 0, 3, dtype=torch.bfloat16),
        "f32.empty": torch.zeros(0, 4, dtype=torch.float32),
    }


def narrowing_source():
    """F32 values that exercise round-to-nearest-even, overflow, underflow and NaN in F16 and BF16."""
    generator = torch.Generator().manual_seed(1)
    ties = [1 + 2**-11, 1 + 3 * 2**-11, -(1 + 2**-11), 2**-25, 3 * 2**-25, 2**-24 + 2**-35,
            1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20, 65519.0, 65520.0, 65504.0, -65536.0, 1e-8, -1e-8,
            3.4028234663852886e38, 1.401298464324817e-45, 1.1754942106924411e-38, float("inf"), float("-inf"),
            float("nan"), -float("nan"), 0.0, -0.0, 0.1, 1.0 / 3.0]
    return {
        "b": torch.tensor(ties, dtype=torch.float32),
        "a.weight": torch.randn(3, 4, generator=generator) * 100,
        "a.bias": torch.randn(4, generator=generator) * 1e-5,
        "A": torch.tensor(0.3333333, dtype=torch.float32),
        "_x": torch.zeros(0, 2),
        "z.0": torch.randn(2, 2, 2, generator=generator),
        'odd "name"\\\t\x01\u00e9\u20ac': torch.tensor([1.5, -2.0]),
    }


def sharded_state_dict():
    generator = torch.Generator().manual_seed(2)
    return {
        "encoder.weight": torch.randn(4, 3, generator=generator),
        "encoder.bias": torch.randn(4, generator=generator),
        "decoder.weight": torch.randn(3, 4, generator=generator),
        "decoder.bias": torch.randn(3, generator=generator),
    }


def generate(out_dir: pathlib.Path):
    specials = special_tensors()
    save_file(specials, out_dir / "specials.safetensors", metadata={"note": "widening fixture"})
    save_file({k: v.float() for k, v in specials.items()}, out_dir / "specials_expected.safetensors")

    source = narrowing_source()
    save_file(source, out_dir / "narrowing_source.safetensors")
    for name, dtype in [("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)]:
        save_file({k: v.to(dtype) for k, v in source.items()}, out_dir / f"narrowed_{name}.safetensors",
                  metadata={"format": "pt"})

    state_dict = sharded_state_dict()
    sharded = out_dir / "sharded"
    shutil.rmtree(sharded, ignore_errors=True)
    sharded.mkdir()
    save_torch_state_dict(state_dict, sharded, max_shard_size=120)
    save_file(state_dict, out_dir / "sharded_expected.safetensors")

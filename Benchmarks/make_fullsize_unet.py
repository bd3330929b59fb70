#!/usr/bin/env python3
"""Writes a full-size random-weight UNet (SD1.5 or SD2.1 architecture) in diffusers layout, plus torch's
output for one input, so `img2img parity-unet --dir DIR` can check our forward at scale. Never committed.

    python Benchmarks/make_fullsize_unet.py --arch sd15 --out /tmp/sd15-unet [--size 64] [--batch 1]
"""
import argparse
import pathlib
import time

import torch
from diffusers import UNet2DConditionModel
from safetensors.torch import save_file

CONFIGS = {
    # The unet/config.json of the SD1.5 and SD2.1 checkpoints (architecture fields).
    "sd15": dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
                 block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
                 down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                 up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3),
    "sd21": dict(sample_size=96, in_channels=4, out_channels=4, layers_per_block=2,
                 block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=1024,
                 attention_head_dim=(5, 10, 20, 20), use_linear_projection=True, upcast_attention=True,
                 down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                 up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=sorted(CONFIGS), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=64, help="latent height and width")
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    torch.manual_seed(0)
    model = UNet2DConditionModel(**CONFIGS[args.arch]).eval()
    model.save_pretrained(out)
    g = torch.Generator().manual_seed(1)
    context_dim = CONFIGS[args.arch]["cross_attention_dim"]
    sample = torch.randn(args.batch, 4, args.size, args.size, generator=g)
    context = torch.randn(args.batch, 77, context_dim, generator=g)
    timesteps = torch.tensor([500.0] * args.batch)
    start = time.perf_counter()
    with torch.no_grad():
        output = model(sample, timesteps, encoder_hidden_states=context).sample
    seconds = time.perf_counter() - start
    save_file({"sample": sample, "encoder_hidden_states": context, "timesteps": timesteps, "output": output,
               "torch_seconds": torch.tensor([seconds])}, out / "expected.safetensors")
    print(f"wrote {out}; torch forward {seconds:.2f} s with {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()

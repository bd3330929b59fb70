#!/usr/bin/env python3
"""What a runner that computes in lower precision answers, saved as runner responses for `img2img verify --offline`:
diffusers' StableDiffusionImg2ImgPipeline on PyTorch CPU with the request's seeds (one image per seed, as the
Livepeer runner's route runs them) in float32, bfloat16 and float16, plus two runs that a verification must
fail — the same request with the next seed's noise, and with EulerDiscreteScheduler — each labelled with the
request's seeds. Measures the gap an honest lower-precision deployment shows against our fp32 engine, and the
gap of real mistakes, with the tool itself:

    /tmp/ref/bin/python scripts/precision_gap.py --model weights/tiny-sd --image in.png --out /tmp/gap \
        --prompt "a watercolor painting" --steps 20 --strength 0.5 --seed 42 --num-images 2
    for r in /tmp/gap/response-*.json; do
        .build/release/img2img verify --offline $r --rng cpu --model weights/tiny-sd --image in.png \
            --prompt "a watercolor painting" --steps 20 --strength 0.5 --seed 42 --num-images 2
    done

A GPU runner draws its noise in float32 with torch's CUDA generator and rounds it to the half dtype; torch's CPU
generator draws half-precision normals from another stream than float32 ones, so here every draw is made in
float32 and then cast, as on a GPU. The arithmetic is PyTorch's CPU kernels in the chosen dtype (fp16 GEMMs
accumulate in fp32 there, as cuBLAS does), which approximates, not reproduces, a GPU's fp16 kernels.
"""
import argparse
import base64
import io
import json
import pathlib
import sys

import torch
from PIL import Image

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def draw_in_float32(original):
    """randn_tensor drawing float32 normals and casting them, as torch's CUDA generator does for half dtypes."""
    def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None, **kwargs):
        noise = original(shape, generator=generator, device=device, dtype=torch.float32, layout=layout, **kwargs)
        return noise.to(dtype) if dtype is not None else noise
    return randn_tensor


def patch_noise():
    """Points every loaded diffusers module's randn_tensor at the float32-drawing one (call after loading)."""
    import diffusers.utils.torch_utils as torch_utils
    original = getattr(torch_utils, "_original_randn_tensor", torch_utils.randn_tensor)
    torch_utils._original_randn_tensor = original
    patched = draw_in_float32(original)
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("diffusers") and getattr(module, "randn_tensor", None) is original:
            module.randn_tensor = patched


def response(images, seeds):
    entries = []
    for image, seed in zip(images, seeds):
        buffer = io.BytesIO()
        image.save(buffer, format="png")
        entries.append({"url": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(),
                        "seed": seed, "nsfw": False})
    return {"images": entries}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--negative-prompt", default="")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--strength", type=float, default=0.5)
    parser.add_argument("--guidance-scale", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--num-images", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from diffusers import EulerDiscreteScheduler, StableDiffusionImg2ImgPipeline
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    image = Image.open(args.image).convert("RGB")
    seeds = [args.seed + i for i in range(args.num_images)]

    def run(pipe, seed, dtype):
        generator = torch.Generator("cpu").manual_seed(seed)
        with torch.no_grad():
            return pipe(prompt=args.prompt, negative_prompt=args.negative_prompt, image=image, strength=args.strength,
                        guidance_scale=args.guidance_scale, num_inference_steps=args.steps, generator=generator,
                        num_images_per_prompt=1).images[0]

    cases = [(name, name, 0, None) for name in args.dtypes]
    cases += [("float32-next-seed", "float32", 1, None), ("float32-euler", "float32", 0, EulerDiscreteScheduler)]
    for label, dtype_name, seed_offset, scheduler in cases:
        pipe = StableDiffusionImg2ImgPipeline.from_pretrained(args.model, torch_dtype=DTYPES[dtype_name],
                                                              safety_checker=None, requires_safety_checker=False)
        if scheduler is not None:
            pipe.scheduler = scheduler.from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)
        patch_noise()
        images = [run(pipe, seed + seed_offset, dtype_name) for seed in seeds]
        path = out / f"response-{label}.json"
        path.write_text(json.dumps(response(images, seeds)))
        print(path)


if __name__ == "__main__":
    main()

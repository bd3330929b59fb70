"""diffusers' side of an end-to-end `img2img generate` timing: load the pipeline in fp32 on the CPU, run one img2img
as the engine does (same image, prompt, strength, steps, guidance, seed on the CPU generator), save the PNG and,
given the engine's PNG for the same request, print the PSNR between the two. Time it as a whole process
(`/usr/bin/time -v`, imports and loading included), like the engine's `generate`:

    /usr/bin/time -v img2img generate --model M --image in.png --prompt P --strength 0.5 --steps 2 \
        --guidance-scale 0 --seed 42 --safety-checker none --output ours.png
    /usr/bin/time -v python Benchmarks/generate_torch.py --model M --image in.png --prompt P --strength 0.5 \
        --steps 2 --guidance-scale 0 --seed 42 --output torch.png --compare ours.png
"""

import argparse
import json
import math
import pathlib
import sys
import time


def psnr(a, b):
    import numpy as np
    difference = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mse = float((difference ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--strength", type=float, default=0.8)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--guidance-scale", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--output", required=True)
    parser.add_argument("--compare", help="the engine's PNG for the same request: print the PSNR against it")
    args = parser.parse_args()

    import torch
    from diffusers import AutoPipelineForImage2Image
    from PIL import Image
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    index = json.loads((pathlib.Path(args.model) / "model_index.json").read_text())
    extra = {} if index["_class_name"].startswith("StableDiffusionXL") else {"safety_checker": None,
                                                                            "requires_safety_checker": False}
    pipe = AutoPipelineForImage2Image.from_pretrained(args.model, torch_dtype=torch.float32, **extra)
    pipe.set_progress_bar_config(disable=True)
    loaded = time.perf_counter()
    image = Image.open(args.image).convert("RGB")
    with torch.no_grad():
        result = pipe(args.prompt, image=image, strength=args.strength, num_inference_steps=args.steps,
                      guidance_scale=args.guidance_scale, generator=torch.Generator("cpu").manual_seed(args.seed))
    result.images[0].save(args.output)
    done = time.perf_counter()
    print(f"load {loaded - start:.1f} s, run {done - loaded:.1f} s")
    if args.compare:
        print(f"PSNR against {args.compare}: {psnr(Image.open(args.compare).convert('RGB'), result.images[0]):.1f} dB")


if __name__ == "__main__":
    sys.exit(main())

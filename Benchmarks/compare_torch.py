#!/usr/bin/env python3
"""Runs `img2img bench` and then diffusers on PyTorch CPU on the same model folder (SD1.x/2.x or SDXL), shapes,
inputs and thread count, in one invocation, and prints our/torch time ratios, both GFLOP/s (FLOPs counted by our
bench from the shapes), both peak RSS figures and the relative error max|ours - torch| / max|torch| of each
stage's output. The size defaults to the UNet's native one (512² for SD1.5, 1024² for SDXL).

    /work/venv/bin/python Benchmarks/compare_torch.py --model /tmp/sd15 [--threads 2] [--repeats 3] [--warmups 1]
        [--size N] [--stages text vae-encode unet-b1 unet-b2 vae-decode img2img turbo lightning]
        [--bench .build/release/img2img]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

STAGES = ["text", "vae-encode", "unet-b1", "unet-b2", "vae-decode", "img2img", "turbo", "lightning"]
PROMPT = "a photograph of an astronaut riding a horse"


def reset_peak_rss():
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def status_bytes(field, pid="self"):
    """A `/proc/PID/status` size field (VmHWM, VmRSS) in bytes; 0 when the process is gone."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss():
    return status_bytes("VmHWM")


def test_image(size):
    """The bench's test image: x and y gradients in R and G, a 64-pixel checkerboard in B."""
    import numpy as np
    from PIL import Image
    x = np.arange(size)
    red = np.broadcast_to((x * 255 // (size - 1))[None, :], (size, size))
    green = np.broadcast_to((x * 255 // (size - 1))[:, None], (size, size))
    blue = np.where(((x[None, :] // 64) + (x[:, None] // 64)) % 2 == 0, 200, 40)
    return Image.fromarray(np.stack([red, green, blue], axis=-1).astype(np.uint8), "RGB")


def measure(repeats, body, warmups=0):
    reset_peak_rss()
    for _ in range(warmups):
        body()
    times, output = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        output = body()
        times.append(time.perf_counter() - start)
    return {"seconds": times, "peak": peak_rss(), "output": output}


def run_torch(model, stages, repeats, warmups, size):
    import torch
    import diffusers
    import transformers
    from diffusers import (EulerDiscreteScheduler, StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline,
                           StableDiffusionXLPipeline)
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    index = json.loads((pathlib.Path(model) / "model_index.json").read_text())
    sdxl = index["_class_name"].startswith("StableDiffusionXL")
    start = time.perf_counter()
    if sdxl:
        pipe = StableDiffusionXLImg2ImgPipeline.from_pretrained(model, torch_dtype=torch.float32)
    else:
        pipe = StableDiffusionImg2ImgPipeline.from_pretrained(model, dtype=torch.float32, safety_checker=None,
                                                              requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    load = time.perf_counter() - start
    size = size or pipe.unet.config.sample_size * pipe.vae_scale_factor
    latent = size // pipe.vae_scale_factor
    channels = pipe.vae.config.latent_channels
    image = test_image(size)
    results = {}

    def encode_prompt():
        if not sdxl:
            ids = pipe.tokenizer(PROMPT, padding="max_length", max_length=77, truncation=True,
                                 return_tensors="pt").input_ids
            return pipe.text_encoder(ids)[0]
        states = []
        for tokenizer, encoder in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)):
            if encoder is None:
                continue
            ids = tokenizer(PROMPT, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
            states.append(encoder(ids, output_hidden_states=True).hidden_states[-2])
        return torch.cat(states, dim=-1)

    def added_conditioning(batch):
        if not sdxl:
            return None
        ids = [size, size, 0, 0, 6] if pipe.config.requires_aesthetics_score else [size, size, 0, 0, size, size]
        embeds = torch.randn(batch, pipe.text_encoder_2.config.projection_dim, generator=torch.Generator().manual_seed(4))
        return {"text_embeds": embeds, "time_ids": torch.tensor([ids] * batch, dtype=torch.float32)}

    with torch.no_grad():
        for stage in stages:
            if stage == "lightning" and not sdxl:
                continue
            if stage == "text":
                results[stage] = measure(repeats, encode_prompt, warmups)
            elif stage == "vae-encode":
                x = pipe.image_processor.preprocess(image)
                results[stage] = measure(repeats, lambda: pipe.vae.encode(x).latent_dist.mean, warmups)
            elif stage in ("unet-b1", "unet-b2"):
                batch = 1 if stage == "unet-b1" else 2
                sample = torch.randn(batch, channels, latent, latent, generator=torch.Generator().manual_seed(1))
                context = torch.randn(batch, 77, pipe.unet.config.cross_attention_dim,
                                      generator=torch.Generator().manual_seed(2))
                added = added_conditioning(batch)
                results[stage] = measure(repeats, lambda: pipe.unet(sample, 500, encoder_hidden_states=context,
                                                                    added_cond_kwargs=added).sample, warmups)
            elif stage == "vae-decode":
                z = torch.randn(1, channels, latent, latent, generator=torch.Generator().manual_seed(3))
                results[stage] = measure(repeats, lambda: pipe.vae.decode(z).sample, warmups)
            elif stage == "lightning":
                # The runner's SDXL-Lightning: text-to-image at the native size, Euler trailing, 4 steps, no guidance.
                text_to_image = StableDiffusionXLPipeline(**pipe.components)
                text_to_image.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config,
                                                                             timestep_spacing="trailing")
                text_to_image.set_progress_bar_config(disable=True)
                results[stage] = measure(1, lambda: text_to_image(PROMPT, num_inference_steps=4, guidance_scale=0.0,
                                                                  generator=torch.Generator().manual_seed(42)).images)
                results[stage]["output"] = None
            else:
                steps, guidance = ((8, 5.0) if sdxl else (20, 7.5)) if stage == "img2img" else (2, 0.0)
                results[stage] = measure(1, lambda: pipe(PROMPT, image=image, strength=0.5, num_inference_steps=steps,
                                                         guidance_scale=guidance, output_type="pil",
                                                         generator=torch.Generator().manual_seed(42)).images)
                results[stage]["output"] = None
    return load, results


def relative_error(ours, theirs):
    import torch
    if ours is None or theirs is None or tuple(ours.shape) != tuple(theirs.shape):
        return None
    return float((ours - theirs).abs().max() / theirs.abs().max().clamp_min(1e-30))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmups", type=int, default=1, help="untimed runs before each short stage")
    parser.add_argument("--size", type=int, help="image side in pixels (default: the UNet's native size)")
    parser.add_argument("--stages", nargs="+", default=STAGES, choices=STAGES)
    parser.add_argument("--bench", default=str(pathlib.Path(__file__).resolve().parent.parent / ".build/release/img2img"))
    parser.add_argument("--json", help="write both reports and the ratios here")
    args = parser.parse_args()
    # Our bench runs its stages in the canonical order; pair the rows by running torch's in the same order.
    args.stages = [stage for stage in STAGES if stage in args.stages]

    with tempfile.TemporaryDirectory() as scratch:
        report_path, outputs_path = pathlib.Path(scratch) / "ours.json", pathlib.Path(scratch) / "ours.safetensors"
        env = dict(os.environ, IMG2IMG_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
        command = [args.bench, "bench", "--model", args.model, "--repeats", str(args.repeats),
                   "--warmups", str(args.warmups), *(["--size", str(args.size)] if args.size else []),
                   "--json", str(report_path), "--outputs", str(outputs_path), "--stages", *args.stages]
        print("ours:", " ".join(command), flush=True)
        subprocess.run(command, env=env, check=True)
        ours = json.loads(report_path.read_text())
        from safetensors.torch import load_file
        our_outputs = load_file(str(outputs_path)) if outputs_path.exists() else {}

    import torch
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}: {torch.get_num_threads()} threads", flush=True)
    load, theirs = run_torch(args.model, args.stages, args.repeats, args.warmups, args.size)

    def median(values):
        return sorted(values)[len(values) // 2]

    print(f"\nmodel {args.model}; {args.threads} threads; sgemm {ours['sgemmGFLOPS']:.1f} GFLOP/s; "
          f"load ours {ours['loadSeconds']:.1f} s, torch {load:.1f} s")
    print(f"{'stage':<30} {'ours s':>8} {'torch s':>8} {'ours/torch':>10} {'ours GF/s':>9} {'torch GF/s':>10} "
          f"{'ours RSS':>9} {'torch RSS':>9} {'rel. error':>10}")
    rows = []
    for stage, result in zip([s for s in args.stages if s in theirs], ours["stages"]):
        mine, other = median(result["seconds"]), median(theirs[stage]["seconds"])
        flops = result["flops"]
        error = relative_error(our_outputs.get(stage), theirs[stage]["output"])
        rows.append(dict(stage=result["name"], ours=mine, torch=other, ratio=mine / other,
                         ours_gflops=flops / mine / 1e9, torch_gflops=flops / other / 1e9,
                         ours_rss=result["peakResidentBytes"], torch_rss=theirs[stage]["peak"], error=error))
        r = rows[-1]
        print(f"{r['stage']:<30} {mine:8.2f} {other:8.2f} {r['ratio']:10.2f} {r['ours_gflops']:9.1f} "
              f"{r['torch_gflops']:10.1f} {r['ours_rss'] / 1e9:7.2f}GB {r['torch_rss'] / 1e9:7.2f}GB "
              f"{'' if error is None else f'{error:10.2e}'}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"ours": ours, "rows": rows, "threads": args.threads}, indent=2))


if __name__ == "__main__":
    sys.exit(main())

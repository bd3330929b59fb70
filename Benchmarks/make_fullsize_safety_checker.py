#!/usr/bin/env python3
"""Writes a full-size random-weight safety checker (the ViT-L/14 shapes of CompVis/stable-diffusion-safety-checker)
in the Hub's layout, plus torch's outputs for a few images, so the Swift checker can be checked and timed at
scale. Never committed (about 1.2 GB).

    python Benchmarks/make_fullsize_safety_checker.py --out /tmp/safety-full [--batch 2]
    IMG2IMG_FULLSIZE_SAFETY_DIR=/tmp/safety-full swift test -c release --filter SafetyTests.FullSizeSafetyCheckerTests

The folder gets config.json (with the Hub's legacy `vision_config_dict`), model.safetensors
(`vision_model.vision_model.*` keys), preprocessor_config.json (openai/clip-vit-base-patch32's), inputs/NN.png
and expected.safetensors (pixel values, image embeddings, cosines, torch seconds) + expected.json (flags).
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import CLIPConfig
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker, cosine_distance

# The architecture fields of CompVis/stable-diffusion-safety-checker's config.json.
VISION = dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24, patch_size=14,
              image_size=224, hidden_act="quick_gelu", layer_norm_eps=1e-5, num_channels=3)
TEXT = dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12)
PROJECTION = 768
PREPROCESSOR = {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                "feature_extractor_type": "CLIPFeatureExtractor",
                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}


def make_images(count, rng):
    """Smooth random colour fields of SD-like output sizes (512x512, 768x512, …)."""
    sizes = [(512, 512), (768, 512), (512, 768), (640, 480)]
    images = []
    for k in range(count):
        width, height = sizes[k % len(sizes)]
        y, x = np.mgrid[0:height, 0:width] / 64.0
        channels = [128 + 100 * np.sin(rng.uniform(0.2, 2) * x + rng.uniform(0.2, 2) * y + rng.uniform(0, 6))
                    for _ in range(3)]
        images.append(Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8)))
    return images


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    torch.manual_seed(0)
    config = CLIPConfig(vision_config=VISION, text_config=TEXT, projection_dim=PROJECTION)
    model = StableDiffusionSafetyChecker(config).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        model.concept_embeds.copy_(torch.randn(17, PROJECTION, generator=g))
        model.special_care_embeds.copy_(torch.randn(3, PROJECTION, generator=g))
        model.concept_embeds_weights.copy_(torch.rand(17, generator=g) * 0.1 - 0.05)
        model.special_care_embeds_weights.copy_(torch.rand(3, generator=g) * 0.1 - 0.05)
    model.save_pretrained(out)
    state = load_file(out / "model.safetensors")
    state = {("vision_model." + k if k.startswith("vision_model.") else k): v.contiguous() for k, v in state.items()}
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})
    written = json.loads((out / "config.json").read_text())
    written["vision_config_dict"] = {k: VISION[k] for k in ("hidden_size", "intermediate_size",
                                                            "num_attention_heads", "num_hidden_layers", "patch_size")}
    (out / "config.json").write_text(json.dumps(written, indent=2) + "\n")
    (out / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2) + "\n")

    images = make_images(args.batch, np.random.default_rng(2))
    (out / "inputs").mkdir(exist_ok=True)
    for k, image in enumerate(images):
        image.save(out / "inputs" / f"{k:02d}.png")
    processor = CLIPImageProcessorPil(**{k: v for k, v in PREPROCESSOR.items() if k != "feature_extractor_type"})
    pixel_values = processor(images, return_tensors="pt").pixel_values.to(torch.float16).to(torch.float32)
    with torch.no_grad():
        embeds = model.visual_projection(model.vision_model(pixel_values)[1])
        start = time.perf_counter()
        _, flags = model(clip_input=pixel_values, images=[np.zeros((2, 2, 3))] * len(images))
        seconds = time.perf_counter() - start
    save_file({"pixel_values": pixel_values, "image_embeds": embeds,
               "concept_cos": cosine_distance(embeds, model.concept_embeds),
               "special_cos": cosine_distance(embeds, model.special_care_embeds),
               "torch_seconds": torch.tensor([seconds])}, out / "expected.safetensors")
    (out / "expected.json").write_text(json.dumps({"nsfw": list(map(bool, flags))}) + "\n")
    print(f"wrote {out}; torch checker forward {seconds:.2f} s for {len(images)} images "
          f"with {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()

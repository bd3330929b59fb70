#!/usr/bin/env python3
"""Writes weights/tiny-sd: the small bundled test model (random weights, SD1.x architecture in miniature,
diffusers layout, the real CLIP tokenizer). It proves the pipeline end to end; it does not make pretty
pictures. Deterministic: running it again gives the same files.

    python weights/make_tiny_sd.py
"""
import json
import pathlib
import shutil

import torch
from diffusers import (AutoencoderKL, PNDMScheduler, StableDiffusionImg2ImgPipeline, UNet2DConditionModel)
from safetensors.torch import load_file, save_file
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from transformers import CLIPConfig, CLIPImageProcessor, CLIPTextConfig, CLIPTextModel, CLIPTokenizer

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "tiny-sd"
TOKENIZER = HERE / "clip-tokenizer"
# openai/clip-vit-base-patch32's preprocessor_config.json (what the runner's checker preprocessing uses).
PREPROCESSOR = {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}


def main():
    torch.manual_seed(0)
    tokenizer = CLIPTokenizer.from_pretrained(TOKENIZER, model_max_length=77)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=77, hidden_act="quick_gelu", eos_token_id=2)).eval()
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=4, norm_num_groups=8).eval()
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(8, 16, 16, 16), layers_per_block=1,
        latent_channels=4, norm_num_groups=8, sample_size=512).eval()
    scheduler = PNDMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                              beta_schedule="scaled_linear", steps_offset=1, set_alpha_to_one=False,
                              skip_prk_steps=True)
    # A tiny random CLIP safety checker, so the default server runs the whole safety path.
    checker = StableDiffusionSafetyChecker(CLIPConfig(
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                           image_size=224, patch_size=32, hidden_act="quick_gelu"),
        text_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4),
        projection_dim=16)).eval()
    pipe = StableDiffusionImg2ImgPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                          scheduler=scheduler, safety_checker=checker,
                                          feature_extractor=CLIPImageProcessor(), requires_safety_checker=True)
    if OUT.exists():
        shutil.rmtree(OUT)
    pipe.save_pretrained(OUT, safe_serialization=True)
    # Keep the repository small: the weights as F16 (the engine widens them to F32 at load), the text
    # encoder keys in the Hub's `text_model.` form, and the tokenizer files as the Hub ships them.
    for path in OUT.glob("*/*.safetensors"):
        state = load_file(path)
        if path.parent.name == "text_encoder":
            state = {k if k.startswith("text_model.") else "text_model." + k: v for k, v in state.items()}
        if path.parent.name == "safety_checker":  # the Hub checker's key layout
            state = {("vision_model." + k if k.startswith("vision_model.") else k): v for k, v in state.items()}
        save_file({k: v.to(torch.float16).contiguous() for k, v in state.items()}, path, metadata={"format": "pt"})
    (OUT / "feature_extractor" / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2) + "\n")
    shutil.rmtree(OUT / "tokenizer")
    shutil.copytree(TOKENIZER, OUT / "tokenizer")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

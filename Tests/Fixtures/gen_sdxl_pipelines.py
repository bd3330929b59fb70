"""End-to-end golden fixtures for SDXL img2img: tiny random-weight SDXL pipelines (base and refiner) saved with
`save_pretrained`, run by diffusers' `StableDiffusionXLImg2ImgPipeline` with `torch.Generator("cpu")`.

Written into Tests/Fixtures/sdxl_pipelines/ in the layout of the `pipelines` section:
  models/sdxl/            base: tokenizer + CLIPTextModel (quick_gelu, pad <|endoftext|>), tokenizer_2 +
                          CLIPTextModelWithProjection (gelu, pad "!"), a text_time UNet, a VAE scaled 0.13025,
                          EulerDiscreteScheduler; force_zeros_for_empty_prompt true
  models/sdxl_refiner/    no text_encoder / tokenizer, requires_aesthetics_score (five time ids)
  inputs/<name>.png, cases.json, <case>.safetensors ("latents.step<i>", "final_latents", "prompt_embeds",
                          "add_text_embeds", "add_time_ids", "image"), <case>.png
Each text encoder has 3 layers, so hidden_states[-2] is not the last layer's output. A case's
"negative_prompt": null means no negative prompt at all (the zeroed path); "" is encoded.
"""
import json
import pathlib
import shutil

import numpy as np
import torch
from diffusers import (AutoencoderKL, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       StableDiffusionXLImg2ImgPipeline, UNet2DConditionModel)
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from gen_pipelines import input_image, perturb, tokenizer_folder

SDXL_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      steps_offset=1, timestep_spacing="leading", interpolation_type="linear")
TIME_EMBED = 8
POOLED = 16


def text_encoder(vocab, tokenizer, hidden, heads, act, projection, g):
    config = CLIPTextConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=3,
                            num_attention_heads=heads, max_position_embeddings=77, hidden_act=act, eos_token_id=2,
                            bos_token_id=tokenizer.bos_token_id, pad_token_id=1, projection_dim=POOLED)
    cls = CLIPTextModelWithProjection if projection else CLIPTextModel
    return perturb(cls(config), g)


def build_model(out: pathlib.Path, name: str, g, *, refiner=False):
    folder = out / "models" / name
    tokenizer_2 = tokenizer_folder(folder / "tokenizer_2", sd2=True)
    vocab = len(tokenizer_2)
    encoder_2 = text_encoder(vocab, tokenizer_2, 24, 3, "gelu", True, g)
    if refiner:
        tokenizer, encoder = None, None
        cross = 24
    else:
        tokenizer = tokenizer_folder(folder / "tokenizer", sd2=False)
        encoder = text_encoder(vocab, tokenizer, 32, 4, "quick_gelu", False, g)
        cross = 32 + 24
    time_ids = 5 if refiner else 6
    unet = perturb(UNet2DConditionModel(
        sample_size=16, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2), attention_head_dim=(2, 4), use_linear_projection=True,
        cross_attention_dim=cross, addition_embed_type="text_time", addition_time_embed_dim=TIME_EMBED,
        projection_class_embeddings_input_dim=POOLED + time_ids * TIME_EMBED, norm_num_groups=4), g)
    vae = perturb(AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(16, 32), layers_per_block=1,
        latent_channels=4, norm_num_groups=4, sample_size=32, scaling_factor=0.13025, force_upcast=True), g)
    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=vae, text_encoder=encoder, text_encoder_2=encoder_2, tokenizer=tokenizer, tokenizer_2=tokenizer_2,
        unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER), requires_aesthetics_score=refiner,
        force_zeros_for_empty_prompt=not refiner)
    pipe.save_pretrained(folder, safe_serialization=True)
    # transformers 5 drops the `text_model.` prefix; write the Hub's form (text_projection stays outside it).
    for part in ("text_encoder", "text_encoder_2"):
        path = folder / part / "model.safetensors"
        if not path.exists():
            continue
        state = load_file(path)
        state = {k if k.startswith(("text_model.", "text_projection.")) else "text_model." + k: v.contiguous()
                 for k, v in state.items()}
        save_file(state, path, metadata={"format": "pt"})
    # Tokenizer files as the Hub ships them (save_pretrained in transformers 5 writes tokenizer.json only).
    for part, sd2 in (("tokenizer", False), ("tokenizer_2", True)):
        if (folder / part).exists():
            shutil.rmtree(folder / part)
            tokenizer_folder(folder / part, sd2)
    return StableDiffusionXLImg2ImgPipeline.from_pretrained(folder)


def run_case(out, cases, name, pipe, model, image_path, request, scheduler_class=None, scheduler_overrides=None):
    if scheduler_class is not None:
        pipe.scheduler = scheduler_class.from_config(pipe.scheduler.config, **(scheduler_overrides or {}))
    steps, conditioning = {}, {}
    unet_forward = pipe.unet.forward

    def unet(sample, t, *args, **kwargs):
        if not conditioning:
            conditioning["prompt_embeds"] = kwargs["encoder_hidden_states"].detach().clone()
            conditioning["add_text_embeds"] = kwargs["added_cond_kwargs"]["text_embeds"].detach().clone()
            conditioning["add_time_ids"] = kwargs["added_cond_kwargs"]["time_ids"].detach().clone()
        return unet_forward(sample, t, *args, **kwargs)

    def record(pipeline, i, t, kwargs):
        steps[f"latents.step{i}"] = kwargs["latents"].detach().clone()
        return kwargs

    pipe.unet.forward = unet
    image = Image.open(image_path).convert("RGB")
    kwargs = dict(prompt=request["prompt"], negative_prompt=request["negative_prompt"], image=image,
                  strength=request["strength"], num_inference_steps=request["num_inference_steps"],
                  guidance_scale=request["guidance_scale"], callback_on_step_end=record,
                  generator=torch.Generator("cpu").manual_seed(request["seed"]))
    if request.get("clip_skip") is not None:
        kwargs["clip_skip"] = request["clip_skip"]
    result = pipe(**kwargs, output_type="np")
    del pipe.unet.forward
    pixels = (result.images[0] * 255).round().astype(np.uint8)
    Image.fromarray(pixels, "RGB").save(out / f"{name}.png")
    tensors = dict(steps) | conditioning
    tensors["final_latents"] = steps[f"latents.step{len(steps) - 1}"].clone()
    tensors["image"] = torch.from_numpy(pixels.astype(np.float32))
    save_file({k: v.contiguous() for k, v in tensors.items()}, out / f"{name}.safetensors")
    cases.append({"name": name, "model": model, "image": f"inputs/{image_path.name}", "request": request,
                  "scheduler": dict(pipe.scheduler.config) | {"_class_name": type(pipe.scheduler).__name__}})


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(11)
    torch.manual_seed(0)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    base = build_model(out_dir, "sdxl", g)
    refiner = build_model(out_dir, "sdxl_refiner", g, refiner=True)
    square = input_image(out_dir, "square", 32, 32, 1)
    odd = input_image(out_dir, "odd", 37, 29, 2)
    cases = []
    request = dict(prompt="a red fox in the snow, highly detailed", negative_prompt="blurry, low quality",
                   strength=0.75, guidance_scale=5.0, image_guidance_scale=1.5, num_inference_steps=8, seed=42)
    run_case(out_dir, cases, "sdxl_cfg_negative", base, "sdxl", square, request)
    run_case(out_dir, cases, "sdxl_cfg_empty_negative", base, "sdxl", square, request | dict(negative_prompt=""))
    run_case(out_dir, cases, "sdxl_cfg_no_negative_zeros", base, "sdxl", square, request | dict(negative_prompt=None))
    run_case(out_dir, cases, "sdxl_clip_skip_odd_size", base, "sdxl", odd,
             request | dict(negative_prompt="", clip_skip=1, seed=3, num_inference_steps=6))
    run_case(out_dir, cases, "sdxl_seed_43", base, "sdxl", square, request | dict(negative_prompt="", seed=43))
    # Last of the base cases: it swaps the pipeline's scheduler.
    run_case(out_dir, cases, "sdxl_turbo_like", base, "sdxl", square,
             request | dict(negative_prompt="", guidance_scale=0.0, num_inference_steps=2, strength=0.5),
             EulerAncestralDiscreteScheduler, dict(timestep_spacing="trailing"))
    run_case(out_dir, cases, "sdxl_refiner_aesthetic", refiner, "sdxl_refiner", square,
             request | dict(negative_prompt="", strength=0.3, num_inference_steps=10))
    (out_dir / "cases.json").write_text(json.dumps(cases, indent=1, default=str))

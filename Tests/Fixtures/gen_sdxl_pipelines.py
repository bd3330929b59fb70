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
import tempfile

from diffusers import (AutoencoderKL, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline, UNet2DConditionModel)
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from gen_lora import WEIGHTS, merge, psnr, unet_only_file
from gen_pipelines import input_image, perturb, tokenizer_folder
from sdxl_loras import LORAS

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


def unet_config(cross, time_ids):
    """SDXL's UNet in miniature: three levels (no attention at the first), two layers per block — so kohya's
    Stability block numbering (`input_blocks_4_1`, `output_blocks_5_2`) is SDXL's —, per-level depths and heads."""
    return dict(sample_size=16, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(16, 32, 32),
                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                transformer_layers_per_block=(1, 1, 2), attention_head_dim=(2, 2, 4), use_linear_projection=True,
                cross_attention_dim=cross, addition_embed_type="text_time", addition_time_embed_dim=TIME_EMBED,
                projection_class_embeddings_input_dim=POOLED + time_ids * TIME_EMBED, norm_num_groups=4)


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
    unet = perturb(UNet2DConditionModel(**unet_config(cross, time_ids)), g)
    vae = perturb(AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(16, 32), layers_per_block=1,
        latent_channels=4, norm_num_groups=4, sample_size=32, scaling_factor=0.13025, force_upcast=True), g)
    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=vae, text_encoder=encoder, text_encoder_2=encoder_2, tokenizer=tokenizer, tokenizer_2=tokenizer_2,
        unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER), requires_aesthetics_score=refiner,
        force_zeros_for_empty_prompt=not refiner)
    save(pipe, folder)
    return StableDiffusionXLImg2ImgPipeline.from_pretrained(folder)


def save(pipe, folder, variant=None):
    """`save_pretrained` in the Hub's form: text encoders with the `text_model.` prefix transformers 5 drops
    (text_projection stays outside it), tokenizer files as the Hub ships them; `variant` "fp16" writes F16
    `*.fp16.safetensors` files only, as Livepeer nodes download them."""
    if variant:
        pipe.to(torch.float16)  # in place: pass a pipeline loaded for this
    pipe.save_pretrained(folder, safe_serialization=True, variant=variant)
    weights = "model.fp16.safetensors" if variant else "model.safetensors"
    for part in ("text_encoder", "text_encoder_2"):
        path = folder / part / weights
        if not path.exists():
            continue
        state = load_file(path)
        state = {k if k.startswith(("text_model.", "text_projection.")) else "text_model." + k: v.contiguous()
                 for k, v in state.items()}
        save_file(state, path, metadata={"format": "pt"})
    for part, sd2 in (("tokenizer", False), ("tokenizer_2", True)):
        if (folder / part).exists():
            shutil.rmtree(folder / part)
            tokenizer_folder(folder / part, sd2)


def run_case(out, cases, name, pipe, model, image_path, request, scheduler_class=None, scheduler_overrides=None,
             runner=None, call=None):
    """One diffusers run. `runner` (model_id, loras, lightning_mode) marks a case our tests run as the runner's
    model id under `root/`; `call` overrides what diffusers is called with (the runner's forced values)."""
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
    kwargs.update(call or {})
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
                  "scheduler": dict(pipe.scheduler.config) | {"_class_name": type(pipe.scheduler).__name__}}
                 | ({"root": "root"} | runner if runner else {}))
    return pixels


BASE_ID = "stabilityai/stable-diffusion-xl-base-1.0"
LIGHTNING_REPO = "ByteDance/SDXL-Lightning"
SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"


def build_root(out, models, g):
    """A model root in the runner's layouts: the SDXL base in the hub cache with F16 `*.fp16.safetensors` files
    only; `ByteDance/SDXL-Lightning` as a plain folder holding a 4-step UNet (its own weights, F16, diffusers keys)."""
    root = out / "root"
    cache = root / f"models--{BASE_ID.replace('/', '--')}"
    (cache / "refs").mkdir(parents=True)
    (cache / "refs" / "main").write_text(SNAPSHOT)
    save(StableDiffusionXLPipeline.from_pretrained(models / "sdxl"), cache / "snapshots" / SNAPSHOT, variant="fp16")
    lightning = perturb(UNet2DConditionModel(**unet_config(32 + 24, 6)), g)
    (root / LIGHTNING_REPO).mkdir(parents=True)
    save_file({k: v.half().contiguous() for k, v in lightning.state_dict().items()},
              root / LIGHTNING_REPO / "sdxl_lightning_4step_unet.safetensors")
    for lora_id, build in LORAS.items():
        pipe = StableDiffusionXLImg2ImgPipeline.from_pretrained(models / "sdxl")
        (root / lora_id).mkdir(parents=True)
        # Stored in float16, as most published LoRAs are.
        save_file({k: v.half().contiguous() for k, v in build(pipe, g).items()}, root / lora_id / WEIGHTS)
    return root, cache / "snapshots" / SNAPSHOT


def lightning_pipes(root, base):
    """The runner's SDXL-Lightning: the base with the 4-step UNet loaded into the base's UNet config, Euler
    trailing; its text-to-image pipeline, and the image-to-image one over the same components."""
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(base, subfolder="unet"))
    unet.load_state_dict(load_file(root / LIGHTNING_REPO / "sdxl_lightning_4step_unet.safetensors"))
    text_to_image = StableDiffusionXLPipeline.from_pretrained(base, unet=unet, variant="fp16", torch_dtype=torch.float32)
    text_to_image.scheduler = EulerDiscreteScheduler.from_config(text_to_image.scheduler.config,
                                                                 timestep_spacing="trailing")
    return text_to_image, StableDiffusionXLImg2ImgPipeline(**text_to_image.components)


def root_base(snapshot):
    """The root's SDXL base as the runner's img2img route loads it: its F16 variant files, computed in fp32."""
    return StableDiffusionXLImg2ImgPipeline.from_pretrained(snapshot, variant="fp16", torch_dtype=torch.float32)


def lora_pipe(snapshot, root, loras, tmp):
    """The root's base with `loras`: the UNet part through diffusers' SDXL loader (Stability block names mapped
    with the UNet's config), both text encoders merged independently with the names and alphas diffusers gives
    them; checked against merging the UNet part the same independent way."""
    pipes = [root_base(snapshot) for _ in range(2)]
    pipe, merged = pipes
    view = dict(loader=StableDiffusionXLImg2ImgPipeline, unet_config=pipe.unet.config)
    for lora_id in loras:
        pipe.load_lora_weights(str(unet_only_file(root / lora_id / WEIGHTS, tmp).parent), weight_name=WEIGHTS,
                               adapter_name=lora_id.replace("/", "_"))
    pipe.set_adapters([i.replace("/", "_") for i in loras], adapter_weights=list(loras.values()))
    for lora_id, strength in loras.items():
        for component in ("text_encoder", "text_encoder_2"):
            for target in pipes:
                encoder = getattr(target, component)  # CLIPTextModelWithProjection keeps its `text_model`
                merge(getattr(encoder, "text_model", encoder), root / lora_id / WEIGHTS, component, strength, **view)
        merge(merged.unet, root / lora_id / WEIGHTS, "unet", strength, **view)
    return pipe, merged


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

    root, base_snapshot = build_root(out_dir, out_dir / "models", g)
    api = request | dict(negative_prompt="")
    base_pixels = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, loras in [("sdxl_lora_none", {}), ("sdxl_lora_kohya_sgm", {"test/sdxl-kohya": 1.0}),
                            ("sdxl_lora_lcm_style", {"test/lcm-style": 1.0}), ("sdxl_lora_peft", {"test/sdxl-peft": 0.7}),
                            ("sdxl_lora_two", {"test/sdxl-kohya": 0.5, "test/lcm-style": 0.8})]:
            pipe, merged = lora_pipe(base_snapshot, root, loras, pathlib.Path(tmp)) if loras else (root_base(base_snapshot), None)
            pixels = run_case(out_dir, cases, name, pipe, "sdxl", square, api,
                              runner=dict(model_id=BASE_ID, loras=loras))
            base_pixels = pixels if base_pixels is None else base_pixels
            if loras:
                independent = run_case(out_dir, [], name + "_merged", merged, "sdxl", square, api)
                (out_dir / f"{name}_merged.png").unlink()
                (out_dir / f"{name}_merged.safetensors").unlink()
                assert psnr(pixels, independent) > 50, f"{name}: diffusers' UNet LoRA differs from the independent merge"
                assert psnr(pixels, base_pixels) < 30, f"{name}: the LoRA barely changes the image"

    text_to_image, image_to_image = lightning_pipes(root, base_snapshot)
    lightning = api | dict(guidance_scale=7.5, num_inference_steps=20, strength=0.5, seed=7)
    # The runner forces guidance 0 and the UNet's 4 steps; its text-to-image pipeline ignores image and strength.
    forced = dict(guidance_scale=0.0, num_inference_steps=4)
    run_case(out_dir, cases, "sdxl_lightning_runner", text_to_image, "sdxl", odd, lightning, call=forced,
             runner=dict(model_id="ByteDance/SDXL-Lightning-4step", loras={}, lightning_mode="runner"))
    run_case(out_dir, cases, "sdxl_lightning_img2img", image_to_image, "sdxl", odd, lightning, call=forced,
             runner=dict(model_id="ByteDance/SDXL-Lightning-4step", loras={}, lightning_mode="img2img"))
    (out_dir / "cases.json").write_text(json.dumps(cases, indent=1, default=str))

"""End-to-end golden fixtures: tiny random-weight SD pipelines saved with `save_pretrained`, run by diffusers
with `torch.Generator("cpu")`, recording every step's latents and the output image.

Written into Tests/Fixtures/pipelines/:
  models/<name>/          diffusers folders (model_index.json, scheduler/, text_encoder/, tokenizer/, unet/, vae/)
  inputs/<name>.png       input images
  cases.json              [{"name", "model", "image", "request": {...}, "scheduler": {...} | null}]
  <case>.safetensors      "latents.step<i>" for every step, "final_latents", "image" (uint8 HWC as float)
  <case>.png              diffusers' output image
The tokenizer is the small 1000-merge CLIP tokenizer of the tokenizer section (SD1 or SD2 special tokens).
"""
import json
import pathlib
import shutil

import numpy as np
import torch
from diffusers import (AutoencoderKL, DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                       EulerDiscreteScheduler, HeunDiscreteScheduler, LCMScheduler, PNDMScheduler,
                       StableDiffusionImg2ImgPipeline, StableDiffusionInstructPix2PixPipeline,
                       UNet2DConditionModel, UniPCMultistepScheduler)
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

HERE = pathlib.Path(__file__).resolve().parent
SMALL_TOKENIZER = HERE / "tokenizer" / "small-vocab"
SD1_SPECIALS = HERE / "tokenizer" / "variants" / "sd1"

SD15_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      steps_offset=1, set_alpha_to_one=False, skip_prk_steps=True)


def perturb(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def tokenizer_folder(folder: pathlib.Path, sd2: bool):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(SMALL_TOKENIZER / name, folder / name)
    specials = SMALL_TOKENIZER if sd2 else SD1_SPECIALS
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(specials / name, folder / name)
    return CLIPTokenizer.from_pretrained(folder, model_max_length=77)


def build_model(out: pathlib.Path, name: str, g, *, sd2=False, ip2p=False, scheduler=None):
    folder = out / "models" / name
    tokenizer = tokenizer_folder(folder / "tokenizer", sd2)
    vocab = len(tokenizer)
    text_config = dict(vocab_size=vocab, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                       num_attention_heads=4, max_position_embeddings=77,
                       hidden_act="gelu" if sd2 else "quick_gelu", eos_token_id=2,
                       bos_token_id=tokenizer.bos_token_id, pad_token_id=1)
    text_encoder = perturb(CLIPTextModel(CLIPTextConfig(**text_config)), g)
    unet = perturb(UNet2DConditionModel(
        sample_size=16, in_channels=8 if ip2p else 4, out_channels=4, layers_per_block=1,
        block_out_channels=(16, 32), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
        attention_head_dim=(2, 4) if sd2 else 4, use_linear_projection=sd2, norm_num_groups=4), g)
    vae = perturb(AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(16, 32), layers_per_block=1,
        latent_channels=4, norm_num_groups=4, sample_size=32), g)
    scheduler = scheduler or PNDMScheduler(**SD15_SCHEDULER)
    cls = StableDiffusionInstructPix2PixPipeline if ip2p else StableDiffusionImg2ImgPipeline
    pipe = cls(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
               safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    # transformers 5 drops the `text_model.` prefix; write the Hub's form.
    from safetensors.torch import load_file
    path = folder / "text_encoder" / "model.safetensors"
    state = load_file(path)
    save_file({k if k.startswith("text_model.") else "text_model." + k: v.contiguous() for k, v in state.items()},
              path, metadata={"format": "pt"})
    # Tokenizer files as the Hub ships them (save_pretrained in transformers 5 writes tokenizer.json only).
    shutil.rmtree(folder / "tokenizer")
    tokenizer_folder(folder / "tokenizer", sd2)
    return cls.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)


def input_image(out: pathlib.Path, name: str, width: int, height: int, seed: int):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([np.sin(x / 5.0 + c) * np.cos(y / 7.0 - c) for c in range(3)], axis=-1)
    pixels = np.clip((base * 0.4 + 0.5) * 255 + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    path = out / "inputs" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path)
    return path


def attach_dump(pipe, dump, guidance_scale):
    """Records the stages our `--dump` writes, under the same names, by wrapping the pipeline's parts."""
    unet_forward, add_noise, vae_encode = pipe.unet.forward, pipe.scheduler.add_noise, pipe.vae.encode
    calls = {"unet": 0}

    def unet(sample, t, *args, **kwargs):
        i = calls["unet"]
        calls["unet"] += 1
        dump[f"step{i}.model_input"] = sample.detach().clone()
        out = unet_forward(sample, t, *args, **kwargs)
        pred = out[0] if isinstance(out, tuple) else out.sample
        uncond, text = pred.chunk(2)
        dump[f"step{i}.noise_pred"] = (uncond + guidance_scale * (text - uncond)).detach().clone()
        if i == 0:
            dump["prompt_embeds"] = kwargs["encoder_hidden_states"].detach().clone()
        return out

    def noise(original_samples, noise, timesteps):
        dump["image_latents"], dump["noise"] = original_samples.clone(), noise.clone()
        dump["latents"] = add_noise(original_samples, noise, timesteps)
        return dump["latents"].clone()

    def encode(image, *args, **kwargs):
        dump["image"] = image.detach().clone()
        return vae_encode(image, *args, **kwargs)

    pipe.unet.forward, pipe.scheduler.add_noise, pipe.vae.encode = unet, noise, encode


def run_case(out, cases, name, pipe, model, image_path, request, scheduler_class=None, scheduler_overrides=None,
             dump=None):
    if scheduler_class is not None:
        pipe.scheduler = scheduler_class.from_config(pipe.scheduler.config, **(scheduler_overrides or {}))
    if dump is not None:
        attach_dump(pipe, dump, request["guidance_scale"])
    steps = {}

    def record(pipeline, i, t, kwargs):
        steps[f"latents.step{i}"] = kwargs["latents"].detach().clone()
        return kwargs

    image = Image.open(image_path).convert("RGB")
    kwargs = dict(prompt=request["prompt"], negative_prompt=request.get("negative_prompt") or None, image=image,
                  num_inference_steps=request["num_inference_steps"], guidance_scale=request["guidance_scale"],
                  generator=torch.Generator("cpu").manual_seed(request["seed"]), callback_on_step_end=record)
    if isinstance(pipe, StableDiffusionInstructPix2PixPipeline):
        kwargs["image_guidance_scale"] = request["image_guidance_scale"]
    else:
        kwargs["strength"] = request["strength"]
        if request.get("clip_skip") is not None:
            kwargs["clip_skip"] = request["clip_skip"]
            # diffusers 0.42.1 reaches the final norm through `text_encoder.text_model`, which transformers 5
            # no longer has: point it at the model itself (outside module registration) to run that path.
            object.__setattr__(pipe.text_encoder, "text_model", pipe.text_encoder)
    result = pipe(**kwargs, output_type="np")
    pixels = (result.images[0] * 255).round().astype(np.uint8)
    Image.fromarray(pixels, "RGB").save(out / f"{name}.png")
    if dump is not None:
        del pipe.unet.forward, pipe.vae.encode
        dump["timesteps"] = pipe.scheduler.timesteps[-len(steps):].float()
        dump.update({f"step{i}.latents": steps[f"latents.step{i}"] for i in range(len(steps))})
        save_file({k: v.contiguous() for k, v in dump.items()}, out / f"{name}.dump.safetensors")
    tensors = dict(steps)
    tensors["final_latents"] = steps[f"latents.step{len(steps) - 1}"].clone()
    tensors["image"] = torch.from_numpy(pixels.astype(np.float32))
    save_file({k: v.contiguous() for k, v in tensors.items()}, out / f"{name}.safetensors")
    cases.append({"name": name, "model": model, "image": f"inputs/{image_path.name}", "request": request,
                  "scheduler": dict(pipe.scheduler.config) | {"_class_name": type(pipe.scheduler).__name__}})


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(7)
    torch.manual_seed(0)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    sd1 = build_model(out_dir, "sd1", g)
    sd2 = build_model(out_dir, "sd2", g, sd2=True,
                      scheduler=DDIMScheduler(**{k: v for k, v in SD15_SCHEDULER.items() if k != "skip_prk_steps"}, clip_sample=False,
                                              prediction_type="v_prediction", timestep_spacing="leading"))
    ip2p = build_model(out_dir, "ip2p", g, ip2p=True)
    square = input_image(out_dir, "square", 32, 32, 1)
    odd = input_image(out_dir, "odd", 37, 29, 2)
    cases = []
    base = dict(prompt="a red fox in the snow, highly detailed", negative_prompt="", strength=0.75,
                guidance_scale=7.5, image_guidance_scale=1.5, num_inference_steps=10, seed=42)
    run_case(out_dir, cases, "sd1_pndm_negative", StableDiffusionImg2ImgPipeline.from_pretrained(
                 out_dir / "models" / "sd1", safety_checker=None, requires_safety_checker=False),
             "sd1", square, base | dict(negative_prompt="blurry, low quality"), dump={})
    run_case(out_dir, cases, "sd2_ddim_vpred", sd2, "sd2", square, base | dict(seed=7, strength=0.6))
    run_case(out_dir, cases, "sd1_euler_trailing_turbo", sd1, "sd1", square,
             base | dict(num_inference_steps=2, strength=0.5, guidance_scale=0.0),
             EulerDiscreteScheduler, dict(timestep_spacing="trailing"))
    run_case(out_dir, cases, "ip2p_euler_ancestral", ip2p, "ip2p", square,
             base | dict(prompt="make it winter", num_inference_steps=6), EulerAncestralDiscreteScheduler)
    run_case(out_dir, cases, "sd1_lcm", sd1, "sd1", square, base | dict(num_inference_steps=4, guidance_scale=1.0),
             LCMScheduler)
    run_case(out_dir, cases, "sd1_dpmpp_2m_karras", sd1, "sd1", square, base | dict(num_inference_steps=8),
             DPMSolverMultistepScheduler, dict(use_karras_sigmas=True, algorithm_type="dpmsolver++", solver_order=2))
    run_case(out_dir, cases, "sd1_heun", sd1, "sd1", square, base | dict(num_inference_steps=5), HeunDiscreteScheduler)
    run_case(out_dir, cases, "sd1_unipc", sd1, "sd1", square, base | dict(num_inference_steps=8),
             UniPCMultistepScheduler)
    run_case(out_dir, cases, "sd1_odd_size_euler_clipskip", sd1, "sd1", odd,
             base | dict(num_inference_steps=6, clip_skip=1, seed=3), EulerDiscreteScheduler)
    (out_dir / "cases.json").write_text(json.dumps(cases, indent=1, default=str))

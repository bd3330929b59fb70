"""LoRA parity fixtures: tiny LoRAs for the pipelines section's SD1 model in the three key styles the runner meets,
and diffusers' images with them (`load_lora_weights` + `set_adapters`, torch.Generator("cpu")).

Written into Tests/Fixtures/lora/:
  root/<org>/<name>/pytorch_lora_weights.safetensors   LoRA folders laid out as under a model root
      test/peft        PEFT keys (`unet.….lora_A.weight`, `text_encoder.text_model.….lora_A.weight`) with the
                       `lora_adapter_metadata` diffusers writes (lora_alpha, rank_pattern, alpha_pattern)
      test/old-style   older diffusers keys (`….processor.to_q_lora.down.weight`, `….lora.down.weight`,
                       `….lora_linear_layer.down.weight`, `self_attn.to_q_lora`), no alphas (scale 1)
      test/kohya       kohya / A1111 keys (`lora_unet_…`, `lora_te_…`, `.alpha`), conv LoRA (3×3 down, 1×1 up),
                       1×1 linear-as-conv (proj_in/proj_out), a minority conv alpha
  cases.json           [{"name", "loras": {id: strength}, "request": {...}, "scheduler": {...}}]
  <case>.safetensors   "final_latents", "image" (uint8 HWC as float)
  <case>.png           diffusers' output image

LoRA tensors are stored in float16, as most published LoRAs are. The UNet part of each LoRA goes through
diffusers' own loader (PEFT). diffusers 0.42.1's text-encoder path needs transformers' adapter API, which wants a
newer peft than the pinned 0.21.2, so the text-encoder part is merged independently here:
W += strength · scale · B·A, with the names, ranks and alphas diffusers' conversion functions and `LoraConfig` give. The same independent merge applied to the UNet is checked against diffusers' PEFT result.
"""
import json
import math
import pathlib
import re
import shutil
import tempfile

import numpy as np
import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionImg2ImgPipeline
from diffusers.utils.peft_utils import _create_lora_config
from diffusers.utils.state_dict_utils import convert_state_dict_to_diffusers, convert_state_dict_to_peft
from peft import LoraConfig, inject_adapter_in_model
from peft.utils import get_peft_model_state_dict
from PIL import Image
from safetensors.torch import load_file, save_file

HERE = pathlib.Path(__file__).resolve().parent
MODEL = HERE / "pipelines" / "models" / "sd1"
INPUT = HERE / "pipelines" / "inputs" / "square.png"
WEIGHTS = "pytorch_lora_weights.safetensors"

REQUEST = dict(prompt="a red fox in the snow, highly detailed", negative_prompt="blurry", strength=0.75,
               guidance_scale=7.5, num_inference_steps=6, seed=42)

UNET_LINEAR = ["to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2", "time_emb_proj"]
UNET_CONV = ["conv1", "conv2", "conv_shortcut", "proj_in", "proj_out", "conv_in", "conv_out", "downsamplers.0.conv",
             "upsamplers.0.conv"]
TE_LINEAR = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]


def load_pipe():
    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(MODEL, safety_checker=None, requires_safety_checker=False)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def randomize(tensors: dict, g, scale=0.15):
    return {k: (scale * torch.randn(v.shape, generator=g)).contiguous() for k, v in tensors.items()}


# ---------------------------------------------------------------------------------------------------------------
# The three LoRA files.

def peft_lora(pipe, g):
    """PEFT-made UNet adapter (mixed ranks and alphas) plus hand-made text-encoder factors, with diffusers metadata."""
    unet_config = LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                             target_modules=UNET_LINEAR + ["proj_in", "proj_out", "conv1", "conv2", "conv_shortcut"],
                             rank_pattern={"conv1": 2}, alpha_pattern={"to_k": 2.0})
    unet = load_pipe().unet
    inject_adapter_in_model(unet_config, unet, adapter_name="fixture")
    unet_state = randomize(get_peft_model_state_dict(unet, adapter_name="fixture"), g)
    te_config = dict(r=2, lora_alpha=3, target_modules=["q_proj", "v_proj", "fc1"])
    te_state = {}
    for layer in range(2):
        for module, (out_dim, in_dim) in [("self_attn.q_proj", (32, 32)), ("self_attn.v_proj", (32, 32)),
                                          ("mlp.fc1", (48, 32))]:
            base = f"text_model.encoder.layers.{layer}.{module}"
            te_state[f"{base}.lora_A.weight"] = 0.3 * torch.randn((2, in_dim), generator=g)
            te_state[f"{base}.lora_B.weight"] = 0.3 * torch.randn((out_dim, 2), generator=g)
    tensors = {f"unet.{k}": v for k, v in unet_state.items()} | {f"text_encoder.{k}": v for k, v in te_state.items()}
    unet_meta = {k: (sorted(v) if isinstance(v, set) else v) for k, v in unet_config.to_dict().items()}
    metadata = {f"unet.{k}": v for k, v in unet_meta.items()} | {f"text_encoder.{k}": v for k, v in te_config.items()}
    return tensors, {"format": "pt", "lora_adapter_metadata": json.dumps(metadata, indent=2, sort_keys=True,
                                                                        default=str)}


def unet_modules(pipe, suffixes):
    names = []
    for name, module in pipe.unet.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)) and any(
                name == s or name.endswith("." + s) for s in suffixes):
            names.append((name, module))
    return names


def factors(module, rank, g, scale=0.15):
    """(down, up) shaped as PEFT / kohya store them for this layer: conv down keeps the kernel, up is 1×1."""
    if isinstance(module, torch.nn.Conv2d):
        out_c, in_c, kh, kw = module.weight.shape
        return (scale * torch.randn((rank, in_c, kh, kw), generator=g),
                scale * torch.randn((out_c, rank, 1, 1), generator=g))
    out_f, in_f = module.weight.shape
    return scale * torch.randn((rank, in_f), generator=g), scale * torch.randn((out_f, rank), generator=g)


def old_style_lora(pipe, g):
    """Older diffusers serialisations: attention processors, LoRACompatible layers, `lora_linear_layer`."""
    tensors = {}
    for name, module in unet_modules(pipe, UNET_LINEAR + ["proj_in", "proj_out"]):
        down, up = factors(module, 4, g)
        match = re.match(r"(.*\.attn[12])\.(to_q|to_k|to_v|to_out\.0)$", name)
        if match:
            processor = match.group(2).replace(".0", "")
            stem = f"unet.{match.group(1)}.processor.{processor}_lora"
        else:
            stem = f"unet.{name}.lora"
        tensors[f"{stem}.down.weight"], tensors[f"{stem}.up.weight"] = down, up
    for layer in range(2):
        for old, module, (out_dim, in_dim) in [("self_attn.to_q_lora", "q", (32, 32)),
                                               ("self_attn.to_out_lora", "out", (32, 32)),
                                               ("mlp.fc2.lora_linear_layer", "fc2", (32, 48))]:
            stem = f"text_encoder.text_model.encoder.layers.{layer}.{old}"
            tensors[f"{stem}.down.weight"] = 0.3 * torch.randn((4, in_dim), generator=g)
            tensors[f"{stem}.up.weight"] = 0.3 * torch.randn((out_dim, 4), generator=g)
    return tensors, {"format": "pt"}


def kohya_lora(pipe, g):
    """kohya-ss names: dots of the diffusers module path become underscores; conv modules get their own alpha."""
    tensors = {}
    for name, module in unet_modules(pipe, UNET_LINEAR + UNET_CONV):
        is_kernel_conv = isinstance(module, torch.nn.Conv2d) and module.kernel_size != (1, 1)
        rank = 2 if is_kernel_conv else 4
        down, up = factors(module, rank, g)
        stem = "lora_unet_" + name.replace(".", "_")
        tensors[f"{stem}.lora_down.weight"], tensors[f"{stem}.lora_up.weight"] = down, up
        # Linear (and 1×1) modules share network_alpha 2; 3×3 convs have conv_alpha 1 (the minority).
        tensors[f"{stem}.alpha"] = torch.tensor(1.0 if is_kernel_conv else 2.0)
    for layer in range(2):
        for module, (out_dim, in_dim) in [("self_attn_q_proj", (32, 32)), ("self_attn_k_proj", (32, 32)),
                                          ("self_attn_v_proj", (32, 32)), ("self_attn_out_proj", (32, 32)),
                                          ("mlp_fc1", (48, 32)), ("mlp_fc2", (32, 48))]:
            stem = f"lora_te_text_model_encoder_layers_{layer}_{module}"
            tensors[f"{stem}.lora_down.weight"] = 0.3 * torch.randn((4, in_dim), generator=g)
            tensors[f"{stem}.lora_up.weight"] = 0.3 * torch.randn((out_dim, 4), generator=g)
            tensors[f"{stem}.alpha"] = torch.tensor(2.0)
    return tensors, {"format": "pt"}


# ---------------------------------------------------------------------------------------------------------------
# Independent merge, with diffusers' names, ranks and alphas.

def diffusers_view(path: pathlib.Path, component: str, loader=StableDiffusionImg2ImgPipeline, **options):
    """The LoRA as diffusers hands it to PEFT for `component`: PEFT keys (module.lora_A/B.weight) and its config
    (`loader`'s `lora_state_dict` with `options`: the SDXL one maps Stability's block names given `unet_config`)."""
    state, alphas, metadata = loader.lora_state_dict(str(path.parent), weight_name=path.name, return_lora_metadata=True,
                                                     **options)
    prefix = component + "."
    part = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    meta = {k.removeprefix(prefix): v for k, v in (metadata or {}).items() if k.startswith(prefix)} or None
    if alphas is not None:
        alphas = {k.removeprefix(prefix): v for k, v in alphas.items() if k.startswith(prefix)}
    if not part:
        return {}, None
    if component == "unet":
        from diffusers.utils.state_dict_utils import convert_unet_state_dict_to_peft
        if part and "lora_A" not in next(iter(part)):
            part = convert_unet_state_dict_to_peft(part)
    else:
        part = convert_state_dict_to_peft(convert_state_dict_to_diffusers(part))
        part = {k.removeprefix("text_model."): v for k, v in part.items()}
    if not part:
        return {}, None
    rank = {f"^{k}": v.shape[1] for k, v in part.items() if "lora_B" in k}
    config = _create_lora_config(part, alphas, meta, rank, is_unet=component == "unet")
    return part, config


def pattern_value(patterns: dict, module: str, default):
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def merge(model: torch.nn.Module, path: pathlib.Path, component: str, strength: float, **view):
    """W += strength · (alpha / r) · B·A for every module of the LoRA (conv: B 1×1 times A's kernel)."""
    part, config = diffusers_view(path, component, **view)
    modules = dict(model.named_modules())
    for key in [k for k in part if k.endswith("lora_A.weight")]:
        name = key.removesuffix(".lora_A.weight")
        down, up = part[key].double(), part[f"{name}.lora_B.weight"].double()
        r = pattern_value(config.rank_pattern, name, config.r)
        alpha = pattern_value(config.alpha_pattern, name, config.lora_alpha)
        scale = alpha / (math.sqrt(r) if config.use_rslora else r)
        weight = modules[name].weight
        delta = up.flatten(1) @ down.flatten(1)
        with torch.no_grad():
            weight += (strength * scale * delta).reshape(weight.shape).to(weight.dtype)


# ---------------------------------------------------------------------------------------------------------------
# Runs.

def unet_only_file(path: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    """The LoRA file without its text-encoder keys (diffusers would try, and fail, to load them)."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        metadata = f.metadata() or {}
    tensors = {k: v for k, v in load_file(path).items() if k.startswith(("unet.", "lora_unet_"))}
    if "lora_adapter_metadata" in metadata:
        meta = {k: v for k, v in json.loads(metadata["lora_adapter_metadata"]).items() if k.startswith("unet.")}
        metadata = metadata | {"lora_adapter_metadata": json.dumps(meta)}
    target = tmp / path.parent.name / WEIGHTS
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, target, metadata=metadata)
    return target


def run(pipe):
    steps = {}

    def record(pipeline, i, t, kwargs):
        steps[f"latents.step{i}"] = kwargs["latents"].detach().clone()
        return kwargs

    result = pipe(prompt=REQUEST["prompt"], negative_prompt=REQUEST["negative_prompt"],
                  image=Image.open(INPUT).convert("RGB"), strength=REQUEST["strength"],
                  num_inference_steps=REQUEST["num_inference_steps"], guidance_scale=REQUEST["guidance_scale"],
                  generator=torch.Generator("cpu").manual_seed(REQUEST["seed"]), callback_on_step_end=record,
                  output_type="np")
    pixels = (result.images[0] * 255).round().astype(np.uint8)
    steps["final_latents"] = steps[f"latents.step{len(steps) - 1}"].clone()
    return steps, pixels


def diffusers_case(root: pathlib.Path, loras: dict, tmp: pathlib.Path):
    """diffusers: UNet LoRAs through load_lora_weights + set_adapters; text-encoder LoRAs merged independently."""
    pipe = load_pipe()
    if loras:
        for lora_id in loras:
            pipe.load_lora_weights(str(unet_only_file(root / lora_id / WEIGHTS, tmp).parent), weight_name=WEIGHTS,
                                   adapter_name=lora_id.replace("/", "_"))
        pipe.set_adapters([i.replace("/", "_") for i in loras], adapter_weights=list(loras.values()))
        for lora_id, strength in loras.items():
            merge(pipe.text_encoder, root / lora_id / WEIGHTS, "text_encoder", strength)
    return run(pipe)


def merged_case(root: pathlib.Path, loras: dict):
    """Both components merged independently (a check of diffusers' UNet path against the plain formula)."""
    pipe = load_pipe()
    for lora_id, strength in loras.items():
        merge(pipe.unet, root / lora_id / WEIGHTS, "unet", strength)
        merge(pipe.text_encoder, root / lora_id / WEIGHTS, "text_encoder", strength)
    return run(pipe)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def generate(out_dir: pathlib.Path):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(11)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    root = out_dir / "root"
    pipe = load_pipe()
    for lora_id, build in [("test/peft", peft_lora), ("test/old-style", old_style_lora), ("test/kohya", kohya_lora)]:
        tensors, metadata = build(pipe, g)
        folder = root / lora_id
        folder.mkdir(parents=True)
        # Stored in float16, as most published LoRAs are.
        save_file({k: v.half().contiguous() for k, v in tensors.items()}, folder / WEIGHTS, metadata=metadata)

    cases = [("base", {}), ("peft", {"test/peft": 1.0}), ("old_style", {"test/old-style": 0.8}),
             ("kohya", {"test/kohya": 1.0}), ("two_loras", {"test/peft": 0.6, "test/kohya": 1.3})]
    written = []
    base_pixels = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, loras in cases:
            steps, pixels = diffusers_case(root, loras, pathlib.Path(tmp))
            merged_steps, merged_pixels = merged_case(root, loras)
            reference, independent = steps["final_latents"], merged_steps["final_latents"]
            error = ((reference - independent).abs().max() / reference.abs().max()).item()
            assert error < 1e-4, f"{name}: diffusers' UNet LoRA differs from the independent merge by {error}"
            if base_pixels is None:
                base_pixels = pixels
            else:
                effect = psnr(pixels, base_pixels)
                assert effect < 30, f"{name}: the LoRA barely changes the image (PSNR {effect:.1f} dB to base)"
            print(f"  {name}: diffusers vs independent merge {error:.2e}; "
                  f"PSNR to base {psnr(pixels, base_pixels):.1f} dB")
            Image.fromarray(pixels, "RGB").save(out_dir / f"{name}.png")
            tensors = {"final_latents": reference, "image": torch.from_numpy(pixels.astype(np.float32))}
            save_file({k: v.contiguous() for k, v in tensors.items()}, out_dir / f"{name}.safetensors")
            scheduler = dict(pipe.scheduler.config) | {"_class_name": type(pipe.scheduler).__name__}
            written.append({"name": name, "loras": loras, "request": REQUEST, "scheduler": scheduler})
    (out_dir / "cases.json").write_text(json.dumps(written, indent=1, default=str))

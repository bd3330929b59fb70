"""Tiny models stored in F16 (as most published SD checkpoints are), with torch's fp32 outputs of the same
half-precision values: the engine keeps such weights in half precision and widens them as its kernels read
them, and must give what diffusers / transformers give after upcasting on load."""
import pathlib

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel

from gen_models import TEXT_ENCODERS, TINY_UNETS, VAE, perturb


def save_half(model, folder):
    """Writes the model in F16 and returns the fp32 model holding exactly those half values."""
    model.half().save_pretrained(folder)
    return model.float()


def unet(out_dir, g):
    cfg = TINY_UNETS["unet_sd1"]
    model = save_half(perturb(UNet2DConditionModel(**cfg), g), out_dir / "unet_sd1")
    sample = torch.randn(2, 4, 8, 8, generator=g)
    context = torch.randn(2, 7, cfg["cross_attention_dim"], generator=g)
    t = torch.tensor([499.5, 20.25])
    with torch.no_grad():
        output = model(sample, t, encoder_hidden_states=context).sample
    save_file({"sample": sample, "encoder_hidden_states": context, "timesteps": t, "output": output.contiguous()},
              out_dir / "unet_sd1" / "expected.safetensors")


def text_encoder(out_dir, g):
    folder = out_dir / "text_sd1"
    model = save_half(perturb(CLIPTextModel(CLIPTextConfig(**TEXT_ENCODERS["text_sd1"])), g), folder)
    state = load_file(folder / "model.safetensors")
    state = {k if k.startswith("text_model.") else "text_model." + k: v.contiguous() for k, v in state.items()}
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    ids = torch.randint(1, 990, (1, 77), generator=g)
    ids[0, 0], ids[0, 12:] = 998, 999
    with torch.no_grad():
        out = model(ids)
    save_file({"input_ids": ids.float(), "last_hidden_state": out.last_hidden_state.contiguous()},
              folder / "expected.safetensors")


def vae(out_dir, g):
    model = save_half(perturb(AutoencoderKL(**VAE), g), out_dir / "vae")
    image = torch.rand(1, 3, 16, 24, generator=g) * 2 - 1
    latents = torch.randn(1, 4, 4, 6, generator=g)
    with torch.no_grad():
        mean = model.encode(image).latent_dist.mean
        decoded = model.decode(latents).sample
    save_file({"image": image, "mean": mean.contiguous(), "latents": latents, "decoded": decoded.contiguous()},
              out_dir / "vae" / "expected.safetensors")


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(16)
    torch.manual_seed(16)  # module initialisation
    unet(out_dir, g)
    text_encoder(out_dir, g)
    vae(out_dir, g)

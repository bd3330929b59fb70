"""Tiny random-weight models in diffusers layout, with torch's outputs: CLIP text encoders (SD1 quick_gelu,
SD2 gelu), UNets (SD1-style, SD2-style with linear projection / upcast attention / per-block heads, an
8-channel InstructPix2Pix one, and a variant exercising scale-shift, freq shift, centred input and odd
latent sizes), and a VAE. Every parameter is perturbed from its initial value so norms and biases matter."""
import pathlib

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel

TINY_UNETS = {
    "unet_sd1": dict(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(16, 32, 32),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=4, norm_num_groups=4),
    "unet_sd2": dict(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=(1, 2, 1), block_out_channels=(16, 32, 32),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=48, attention_head_dim=(2, 4, 4), use_linear_projection=True, upcast_attention=True,
        transformer_layers_per_block=(1, 2, 1), norm_num_groups=4),
    "unet_ip2p": dict(
        sample_size=8, in_channels=8, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=4, norm_num_groups=4),
    "unet_variant": dict(
        sample_size=8, in_channels=4, out_channels=3, layers_per_block=1, block_out_channels=(16, 32, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=24, attention_head_dim=(2, 2, 4), norm_num_groups=4, norm_eps=1e-6,
        resnet_time_scale_shift="scale_shift", flip_sin_to_cos=False, freq_shift=1, center_input_sample=True,
        conv_in_kernel=5, conv_out_kernel=1, only_cross_attention=(True, False, False), act_fn="silu",
        mid_block_scale_factor=1.5, downsample_padding=1),
}

TEXT_ENCODERS = {
    # SD1: quick_gelu, legacy eos_token_id 2 (pooled at the largest id).
    "text_sd1": dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=3,
                     num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu", eos_token_id=2,
                     bos_token_id=998, pad_token_id=999),
    # SD2: gelu, eos_token_id set (pooled at the first EOS).
    "text_sd2": dict(vocab_size=1000, hidden_size=48, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=3, max_position_embeddings=77, hidden_act="gelu", eos_token_id=999,
                     bos_token_id=998, pad_token_id=0, projection_dim=24),
}

VAE = dict(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
           up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(16, 32), layers_per_block=1,
           latent_channels=4, norm_num_groups=4, sample_size=16)


def perturb(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:  # norm scales
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def text_encoders(out_dir, g):
    for name, cfg in TEXT_ENCODERS.items():
        model = perturb(CLIPTextModel(CLIPTextConfig(**cfg)), g)
        folder = out_dir / name
        model.save_pretrained(folder)
        # transformers 5 drops the `text_model.` prefix; the Hub's SD checkpoints have it: write that form.
        from safetensors.torch import load_file
        state = load_file(folder / "model.safetensors")
        state = {k if k.startswith("text_model.") else "text_model." + k: v.contiguous() for k, v in state.items()}
        save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
        ids = torch.randint(1, 990, (2, 77), generator=g)
        ids[:, 0] = 998
        ids[0, 9:] = 999   # EOS then EOS padding (SD1 style)
        ids[1, 40] = 999   # EOS then "!"-style padding (id 0, SD2 style)
        ids[1, 41:] = 0
        with torch.no_grad():
            out = model(ids, output_hidden_states=True)
        expected = {"input_ids": ids.float(), "last_hidden_state": out.last_hidden_state,
                    "pooled": out.pooler_output, "hidden_state_minus2": out.hidden_states[-2]}
        save_file({k: v.contiguous() for k, v in expected.items()}, folder / "expected.safetensors")


def saved_unet(cfg, folder, g):
    """A UNet built from `cfg`, perturbed and saved in `folder`."""
    model = perturb(UNet2DConditionModel(**cfg), g)
    model.save_pretrained(folder)
    return model


def unets(out_dir, g):
    for name, cfg in TINY_UNETS.items():
        folder = out_dir / name
        model = saved_unet(cfg, folder, g)
        height, width = (9, 7) if name == "unet_variant" else (8, 8)
        cross = cfg["cross_attention_dim"]
        sample = torch.randn(2, cfg["in_channels"], height, width, generator=g)
        context = torch.randn(2, 7, cross, generator=g)
        expected = {"sample": sample, "encoder_hidden_states": context}
        for label, t in [("t981", torch.tensor([981, 981])), ("t1", torch.tensor([1, 1])),
                         ("tmixed", torch.tensor([499.5, 20.25]))]:
            with torch.no_grad():
                expected[f"output_{label}"] = model(sample, t, encoder_hidden_states=context).sample
            expected[f"timesteps_{label}"] = t.float()
        save_file({k: v.contiguous() for k, v in expected.items()}, folder / "expected.safetensors")


def vae(out_dir, g):
    model = perturb(AutoencoderKL(**VAE), g)
    folder = out_dir / "vae"
    model.save_pretrained(folder)
    image = torch.rand(1, 3, 16, 24, generator=g) * 2 - 1
    with torch.no_grad():
        posterior = model.encode(image).latent_dist
        latents = torch.randn(1, 4, 4, 6, generator=g)
        decoded = model.decode(latents).sample
    expected = {"image": image, "mean": posterior.mean, "logvar": posterior.logvar, "std": posterior.std,
                "latents": latents, "decoded": decoded}
    save_file({k: v.contiguous() for k, v in expected.items()}, folder / "expected.safetensors")


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(42)
    torch.manual_seed(0)  # module initialisation
    text_encoders(out_dir, g)
    unets(out_dir, g)
    vae(out_dir, g)

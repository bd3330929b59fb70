"""Tiny random-weight SDXL models with torch's outputs: a 3-level `addition_embed_type="text_time"` UNet shaped like
SDXL base (no attention at level 0, per-level head counts and transformer depths, linear projections,
cross-attention over two encoders' concatenated widths 16 + 24, six micro-conditioning ids), a refiner-shaped one
(five ids with the aesthetic score, plain last level, one encoder's width), and SDXL's second text encoder
(`CLIPTextModelWithProjection`, exact GELU, first-EOS pooling, "!" padding). Parameters are perturbed as in
gen_models.py so every norm and bias matters."""
import pathlib

import torch
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModelWithProjection

from gen_models import perturb, saved_unet

POOLED_WIDTH = 24  # encoder 2's projection width: the UNet's `text_embeds`
TIME_ID_WIDTH = 8  # addition_time_embed_dim

SDXL_UNETS = {
    # SDXL base: six ids (original size, crop top-left, target size).
    "unet_sdxl": dict(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(8, 16, 16),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 1, 2), attention_head_dim=(2, 2, 4), use_linear_projection=True,
        cross_attention_dim=16 + 24, addition_embed_type="text_time", addition_time_embed_dim=TIME_ID_WIDTH,
        projection_class_embeddings_input_dim=POOLED_WIDTH + 6 * TIME_ID_WIDTH, norm_num_groups=4),
    # SDXL refiner: five ids (original size, crop top-left, aesthetic score), encoder 2 only, plain last level.
    "unet_sdxl_refiner": dict(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(8, 16, 16),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=2, attention_head_dim=(2, 2, 4), use_linear_projection=True,
        cross_attention_dim=24, addition_embed_type="text_time", addition_time_embed_dim=TIME_ID_WIDTH,
        projection_class_embeddings_input_dim=POOLED_WIDTH + 5 * TIME_ID_WIDTH, norm_num_groups=4),
}

TIME_IDS = {
    "unet_sdxl": [[64, 48, 0, 0, 64, 48], [72, 56, 8, 4, 64, 48]],
    "unet_sdxl_refiner": [[64, 48, 0, 0, 6.0], [64, 48, 0, 0, 2.5]],
}

# SDXL's text_encoder_2 (OpenCLIP bigG's form): exact GELU, eos_token_id the vocabulary's last id, pad "!" = 0.
TEXT_ENCODER_2 = dict(vocab_size=1000, hidden_size=24, intermediate_size=40, num_hidden_layers=3,
                      num_attention_heads=3, max_position_embeddings=77, hidden_act="gelu", eos_token_id=999,
                      bos_token_id=998, pad_token_id=0, projection_dim=POOLED_WIDTH)


def save_expected(folder, tensors):
    save_file({k: v.contiguous() for k, v in tensors.items()}, folder / "expected.safetensors")


def unets(out_dir, g):
    for name, cfg in SDXL_UNETS.items():
        folder = out_dir / name
        model = saved_unet(cfg, folder, g)
        sample = torch.randn(2, cfg["in_channels"], 8, 8, generator=g)
        context = torch.randn(2, 7, cfg["cross_attention_dim"], generator=g)
        text_embeds = torch.randn(2, POOLED_WIDTH, generator=g)
        time_ids = torch.tensor(TIME_IDS[name], dtype=torch.float32)
        added = {"text_embeds": text_embeds, "time_ids": time_ids}
        expected = {"sample": sample, "encoder_hidden_states": context, "text_embeds": text_embeds, "time_ids": time_ids}
        for label, t in [("t981", torch.tensor([981, 981])), ("t1", torch.tensor([1, 1])),
                         ("tmixed", torch.tensor([499.5, 20.25]))]:
            with torch.no_grad():
                expected[f"output_{label}"] = model(sample, t, encoder_hidden_states=context,
                                                    added_cond_kwargs=added).sample
            expected[f"timesteps_{label}"] = t.float()
        save_expected(folder, expected)


def text_encoder_2(out_dir, g):
    model = perturb(CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_2)), g)
    folder = out_dir / "text_sdxl_2"
    model.save_pretrained(folder)
    # The Hub's SDXL text_encoder_2 form: `text_model.`-prefixed keys beside a bare `text_projection.weight`
    # (transformers 5 writes this class that way; checked so a change of its habits is noticed).
    keys = set(load_file(folder / "model.safetensors"))
    assert "text_projection.weight" in keys and all(k.startswith("text_model.") for k in keys - {"text_projection.weight"})
    ids = torch.randint(1, 990, (2, 77), generator=g)
    ids[:, 0] = 998
    ids[0, 9] = 999    # EOS then "!" padding (id 0), as tokenizer_2 pads
    ids[0, 10:] = 0
    ids[1, 40:] = 999  # EOS padding: the first EOS is pooled
    with torch.no_grad():
        out = model(ids, output_hidden_states=True)
        pooled = model.text_model(ids).pooler_output
    expected = {"input_ids": ids.float(), "last_hidden_state": out.last_hidden_state, "pooled": pooled,
                "text_embeds": out.text_embeds, "hidden_state_minus2": out.hidden_states[-2]}
    save_expected(folder, expected)


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(1024)
    torch.manual_seed(1024)  # module initialisation
    unets(out_dir, g)
    text_encoder_2(out_dir, g)

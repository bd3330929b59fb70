"""SDXL LoRA files in the forms the runner meets, for the tiny SDXL base of gen_sdxl_pipelines.py, and diffusers'
view of them (its SDXL loader: `_maybe_map_sgm_blocks_to_diffusers`, `_convert_non_diffusers_lora_to_diffusers`).

  sgm_kohya_lora   kohya / A1111 SDXL names: the UNet by Stability's original blocks (`input_blocks_4_1_…`,
                   `middle_block_1_…`, `output_blocks_5_2_conv`, `label_emb_0_0`, `time_embed_0`, `out_2`,
                   `input_blocks_0_0`, resnets' `in_layers_2` / `out_layers_3` / `emb_layers_1` /
                   `skip_connection`, downsamplers' `op`), both text encoders as `lora_te1_…` / `lora_te2_…`,
                   `.alpha` per module
  lcm_style_lora   kohya names over diffusers' module paths, as LCM-LoRA-SDXL is written: resnet conv1 / conv2 /
                   conv_shortcut / time_emb_proj, the down- and upsampler convs, conv_in / conv_out, attention
  peft_lora        PEFT keys with `unet.`, `text_encoder.` and `text_encoder_2.` prefixes, no alphas (scale 1)
"""
import torch

from gen_lora import factors

UNET_LINEAR = ["to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2", "proj_in", "proj_out"]
RESNET = ["conv1", "conv2", "conv_shortcut", "time_emb_proj"]
SAMPLERS = ["downsamplers.0.conv", "upsamplers.0.conv"]
EMBEDDINGS = ["conv_in", "conv_out", "time_embedding.linear_1", "time_embedding.linear_2", "add_embedding.linear_1",
              "add_embedding.linear_2"]
TE_MODULES = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "mlp.fc1", "mlp.fc2"]


def layers(model, suffixes):
    """(name, module) of every Linear / Conv2d whose path ends with one of `suffixes`."""
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d))
            and any(name == s or name.endswith("." + s) for s in suffixes)]


def sgm_name(name: str, layers_per_block: int) -> str:
    """A diffusers UNet module path in Stability's original (sgm) block names, as kohya writes SDXL."""
    fixed = {"conv_in": "input_blocks.0.0", "conv_out": "out.2", "time_embedding.linear_1": "time_embed.0",
             "time_embedding.linear_2": "time_embed.2", "add_embedding.linear_1": "label_emb.0.0",
             "add_embedding.linear_2": "label_emb.0.2"}
    if name in fixed:
        return fixed[name]
    inner = {"conv1": "in_layers.2", "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1",
             "conv_shortcut": "skip_connection"}
    parts = name.split(".")
    stride = layers_per_block + 1
    if parts[0] == "mid_block":
        index = {("resnets", "0"): 0, ("attentions", "0"): 1, ("resnets", "1"): 2}[(parts[1], parts[2])]
        head, rest = f"middle_block.{index}", parts[3:]
    elif parts[0] == "down_blocks":
        block, kind, layer = int(parts[1]), parts[2], int(parts[3])
        if kind == "downsamplers":
            head, rest = f"input_blocks.{1 + block * stride + layers_per_block}.0", ["op"]
        else:
            head, rest = f"input_blocks.{1 + block * stride + layer}.{0 if kind == 'resnets' else 1}", parts[4:]
    else:
        block, kind, layer = int(parts[1]), parts[2], int(parts[3])
        if kind == "upsamplers":
            head, rest = f"output_blocks.{block * stride + layers_per_block}.2", ["conv"]
        else:
            head, rest = f"output_blocks.{block * stride + layer}.{0 if kind == 'resnets' else 1}", parts[4:]
    rest = ".".join(rest)
    return f"{head}.{inner.get(rest, rest)}" if rest else head


def kohya_text_encoders(tensors, encoders, g, prefixes):
    """kohya text-encoder factors (`lora_te1_text_model_encoder_layers_0_self_attn_q_proj`) with alpha 2."""
    for encoder, prefix in zip(encoders, prefixes):
        for name, module in layers(encoder, TE_MODULES):
            down, up = factors(module, 4, g, scale=0.3)
            stem = f"{prefix}text_model_" + name.removeprefix("text_model.").replace(".", "_")
            tensors[f"{stem}.lora_down.weight"], tensors[f"{stem}.lora_up.weight"] = down, up
            tensors[f"{stem}.alpha"] = torch.tensor(2.0)


def sgm_kohya_lora(pipe, g):
    tensors = {}
    lpb = pipe.unet.config.layers_per_block
    for name, module in layers(pipe.unet, UNET_LINEAR + RESNET + SAMPLERS + EMBEDDINGS):
        is_kernel_conv = isinstance(module, torch.nn.Conv2d) and module.kernel_size != (1, 1)
        rank = 2 if is_kernel_conv else 4
        down, up = factors(module, rank, g)
        stem = "lora_unet_" + sgm_name(name, lpb).replace(".", "_")
        tensors[f"{stem}.lora_down.weight"], tensors[f"{stem}.lora_up.weight"] = down, up
        tensors[f"{stem}.alpha"] = torch.tensor(1.0 if is_kernel_conv else 3.0)
    kohya_text_encoders(tensors, [pipe.text_encoder, pipe.text_encoder_2], g, ["lora_te1_", "lora_te2_"])
    return tensors


def lcm_style_lora(pipe, g):
    tensors = {}
    for name, module in layers(pipe.unet, UNET_LINEAR + RESNET + SAMPLERS + ["conv_in", "conv_out"]):
        down, up = factors(module, 4, g, scale=0.1)
        stem = "lora_unet_" + name.replace(".", "_")
        tensors[f"{stem}.lora_down.weight"], tensors[f"{stem}.lora_up.weight"] = down, up
        tensors[f"{stem}.alpha"] = torch.tensor(8.0)
    return tensors


def peft_lora(pipe, g):
    tensors = {}
    for name, module in layers(pipe.unet, ["to_q", "to_v", "to_out.0", "ff.net.2", "conv1"]):
        down, up = factors(module, 2, g)
        tensors[f"unet.{name}.lora_A.weight"], tensors[f"unet.{name}.lora_B.weight"] = down, up
    for component in ("text_encoder", "text_encoder_2"):
        for name, module in layers(getattr(pipe, component), ["q_proj", "fc1"]):
            down, up = factors(module, 2, g, scale=0.3)
            stem = f"{component}.text_model.{name.removeprefix('text_model.')}"
            tensors[f"{stem}.lora_A.weight"], tensors[f"{stem}.lora_B.weight"] = down, up
    return tensors


LORAS = {"test/sdxl-kohya": sgm_kohya_lora, "test/lcm-style": lcm_style_lora, "test/sdxl-peft": peft_lora}

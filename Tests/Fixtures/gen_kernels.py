"""Kernel fixtures: inputs and torch outputs for conv2d, norms, activations, softmax, attention, linear,
upsampling and broadcasting. One .safetensors file per kernel family; `__metadata__["cases"]` is a JSON
list of {"name": ..., "params": {...}} and each case's tensors are stored as "<name>.<role>"."""
import json
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file


def _save(out_dir: pathlib.Path, family: str, cases):
    tensors, listing = {}, []
    for name, params, roles in cases:
        listing.append({"name": name, "params": params})
        for role, value in roles.items():
            tensors[f"{name}.{role}"] = value.detach().float().clone().contiguous()
    save_file(tensors, str(out_dir / f"{family}.safetensors"), metadata={"cases": json.dumps(listing)})


def conv2d_cases(g):
    cases = []
    specs = [  # name, N, Cin, H, W, Cout, kh, kw, stride, (top, bottom, left, right), bias
        ("k3_pad1", 2, 5, 9, 11, 7, 3, 3, 1, (1, 1, 1, 1), True),
        ("k3_stride2_pad1", 1, 3, 10, 7, 17, 3, 3, 2, (1, 1, 1, 1), True),
        ("k1", 2, 19, 6, 5, 13, 1, 1, 1, (0, 0, 0, 0), True),
        ("k1_nobias", 1, 33, 4, 4, 18, 1, 1, 1, (0, 0, 0, 0), False),
        ("k5_pad2", 1, 4, 8, 9, 6, 5, 5, 1, (2, 2, 2, 2), True),
        ("k2_stride2", 1, 6, 8, 6, 5, 2, 2, 2, (0, 0, 0, 0), True),
        ("k3_stride2_asym", 1, 8, 9, 10, 8, 3, 3, 2, (0, 1, 0, 1), True),  # the VAE's downsampling pad
        ("k3_pad1_wide", 1, 40, 16, 16, 24, 3, 3, 1, (1, 1, 1, 1), True),
    ]
    for name, n, cin, h, w, cout, kh, kw, stride, pad, has_bias in specs:
        x = torch.randn(n, cin, h, w, generator=g)
        weight = torch.randn(cout, cin, kh, kw, generator=g) / (cin * kh * kw) ** 0.5
        bias = torch.randn(cout, generator=g) if has_bias else None
        top, bottom, left, right = pad
        y = F.conv2d(F.pad(x, (left, right, top, bottom)), weight, bias, stride=stride)
        roles = {"input": x, "weight": weight, "output": y}
        if has_bias:
            roles["bias"] = bias
        params = {"stride": stride, "top": top, "bottom": bottom, "left": left, "right": right}
        cases.append((name, params, roles))
    return cases


def group_norm_cases(g):
    cases = []
    for name, shape, groups, eps, affine, silu in [
        ("g4_affine", (2, 12, 5, 7), 4, 1e-5, True, False),
        ("g32_silu", (1, 64, 9, 9), 32, 1e-6, True, True),
        ("g3_plain", (2, 6, 3, 1), 3, 1e-5, False, False),
        ("g32_offset", (1, 96, 17, 13), 32, 1e-6, True, True),
    ]:
        x = torch.randn(*shape, generator=g) * 3 + 5  # a large mean exercises the two-pass variance
        weight = torch.randn(shape[1], generator=g) if affine else None
        bias = torch.randn(shape[1], generator=g) if affine else None
        y = F.group_norm(x, groups, weight, bias, eps)
        if silu:
            y = F.silu(y)
        roles = {"input": x, "output": y}
        if affine:
            roles.update(weight=weight, bias=bias)
        cases.append((name, {"groups": groups, "eps": eps, "silu": silu}, roles))
    return cases


def layer_norm_cases(g):
    cases = []
    for name, shape, eps in [("c37", (2, 13, 37), 1e-5), ("c768", (1, 5, 768), 1e-5), ("c20_eps6", (3, 20), 1e-6)]:
        x = torch.randn(*shape, generator=g) * 2 + 1
        weight, bias = torch.randn(shape[-1], generator=g), torch.randn(shape[-1], generator=g)
        y = F.layer_norm(x, (shape[-1],), weight, bias, eps)
        cases.append((name, {"eps": eps}, {"input": x, "weight": weight, "bias": bias, "output": y}))
    return cases


def activation_cases(g):
    x = torch.cat([torch.linspace(-12, 12, 997), torch.randn(1003, generator=g) * 3,
                   torch.tensor([0.0, -0.0, 1e-8, -1e-8, 50.0, -50.0, 100.0, -100.0])])
    return [
        ("silu", {"activation": "silu"}, {"input": x, "output": F.silu(x)}),
        ("gelu", {"activation": "gelu"}, {"input": x, "output": F.gelu(x)}),
        ("gelu_tanh", {"activation": "gelu_pytorch_tanh"}, {"input": x, "output": F.gelu(x, approximate="tanh")}),
        ("quick_gelu", {"activation": "quick_gelu"}, {"input": x, "output": x * torch.sigmoid(1.702 * x)}),
    ]


def softmax_cases(g):
    cases = []
    for name, shape, spread in [("w77", (3, 5, 77), 1.0), ("w16", (4, 16), 30.0), ("w1000", (2, 1000), 10.0)]:
        x = torch.randn(*shape, generator=g) * spread
        cases.append((name, {}, {"input": x, "output": torch.softmax(x, dim=-1)}))
    return cases


def attention_case(gen, name, b, nq, nk, heads, d, causal, spread):
    q = torch.randn(b, nq, heads * d, generator=gen) * spread
    k = torch.randn(b, nk, heads * d, generator=gen) * spread
    v = torch.randn(b, nk, heads * d, generator=gen)

    def split(t):
        return t.view(b, -1, heads, d).transpose(1, 2)

    o = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=causal)
    o = o.transpose(1, 2).reshape(b, nq, heads * d)
    return (name, {"heads": heads, "causal": causal}, {"query": q, "key": k, "value": v, "output": o})


def attention_cases(g):
    cases = [attention_case(g, *shape) for shape in [
        ("self_77", 2, 77, 77, 3, 8, False, 1.0),
        ("cross_100x77_d40", 1, 100, 77, 2, 40, False, 1.0),
        ("self_300_d16", 1, 300, 300, 2, 16, False, 1.0),
        ("self_600_sharp", 1, 600, 600, 1, 8, False, 4.0),  # large logits: the online max must rescale
        ("causal_77", 2, 77, 77, 4, 8, True, 1.0),
        ("cross_5x513", 2, 5, 513, 2, 24, False, 1.0),
    ]]
    # Later additions draw from their own generator, so the cases above (and every fixture after them) keep
    # their values: more keys than one 1024-key tile (the online softmax rescales across tiles), and head
    # dimensions whose value panels end in 16 and 8 lanes (80 = 2·32 + 16, 72 = 2·32 + 8) or pad (4 → 8).
    extra = torch.Generator().manual_seed(1234)
    cases += [attention_case(extra, *shape) for shape in [
        ("self_70x1100_d80_sharp", 1, 70, 1100, 1, 80, False, 3.0),
        ("cross_33x1100_d72", 1, 33, 1100, 1, 72, False, 1.0),
        ("causal_1100_d4", 1, 1100, 1100, 2, 4, True, 2.0),
    ]]
    return cases


def linear_cases(g):
    cases = []
    for name, shape, out_features, has_bias in [("bias", (2, 7, 19), 23, True), ("nobias", (5, 33), 16, False)]:
        x = torch.randn(*shape, generator=g)
        weight = torch.randn(out_features, shape[-1], generator=g)
        bias = torch.randn(out_features, generator=g) if has_bias else None
        roles = {"input": x, "weight": weight, "output": F.linear(x, weight, bias)}
        if has_bias:
            roles["bias"] = bias
        cases.append((name, {}, roles))
    return cases


def misc_cases(g):
    x = torch.randn(1, 3, 5, 7, generator=g)
    a = torch.randn(2, 3, 4, 5, generator=g)
    b = torch.randn(3, 1, 1, generator=g)
    c = torch.randn(2, 5, 7, generator=g)
    d = torch.randn(7, generator=g)
    e = torch.randn(2, 3, 1, 5, generator=g)
    f = torch.randn(1, 4, 1, generator=g)
    return [
        ("upsample", {"op": "upsample"}, {"input": x, "output": F.interpolate(x, scale_factor=2.0, mode="nearest")}),
        ("add_channel", {"op": "add"}, {"lhs": a, "rhs": b, "output": a + b}),
        ("mul_last", {"op": "mul"}, {"lhs": c, "rhs": d, "output": c * d}),
        ("add_both_broadcast", {"op": "add"}, {"lhs": e, "rhs": f, "output": e + f}),
    ]


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(1234)
    _save(out_dir, "conv2d", conv2d_cases(g))
    _save(out_dir, "group_norm", group_norm_cases(g))
    _save(out_dir, "layer_norm", layer_norm_cases(g))
    _save(out_dir, "activations", activation_cases(g))
    _save(out_dir, "softmax", softmax_cases(g))
    _save(out_dir, "attention", attention_cases(g))
    _save(out_dir, "linear", linear_cases(g))
    _save(out_dir, "misc", misc_cases(g))

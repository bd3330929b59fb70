"""Fixtures for the Schedulers module (DDIM, PNDM, Euler, Euler ancestral, DDPM, LMS, Heun), from diffusers.

cases.json lists every case: the scheduler config (built with `Class.from_config`), the number of inference
steps, an optional img2img begin index and step options (DDIM `eta`, Euler `s_churn`). <Class>.safetensors holds,
per case `<name>`:
- `<name>.timesteps`, `<name>.sigmas` (sigma schedulers), `<name>.init_noise_sigma` after `set_timesteps`;
- `<name>.steps`: the sample after every `step` of the whole loop. The loop starts from
  `common.sample * init_noise_sigma` (txt2img) or, with a begin index k, from
  `add_noise(common.sample, common.noise, timesteps[k*order])` after `set_begin_index(k*order)` (img2img; stored
  as `<name>.noisy`). The fake model output at loop index i is `0.3 * scale_model_input(x, t) + sin(i)`;
- `<name>.noise`: the noise the scheduler drew (diffusers' `randn_tensor` is replaced by a seeded torch
  generator whose draws are recorded, so the Swift test can feed the same values);
- `<name>.add_noise_t3` (sigma schedulers, no begin index): `add_noise` at timesteps[3], which exercises
  `index_for_timestep`'s second-match rule for Heun's doubled timesteps.
noise_schedules.safetensors holds betas / alphas_cumprod of several beta schedules and torch.linspace results;
thresholding.safetensors holds `_threshold_sample` (dynamic thresholding, torch.quantile) inputs and outputs.
"""
import json
import math
import pathlib
import sys

import torch
from safetensors.torch import save_file
from diffusers import (DDIMScheduler, DDPMScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       HeunDiscreteScheduler, LMSDiscreteScheduler, PNDMScheduler)

SHAPE = (1, 4, 5, 3)
SD15 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            steps_offset=1, set_alpha_to_one=False, clip_sample=False)
SPACINGS = ["leading", "trailing", "linspace"]
PREDICTIONS = {
    DDIMScheduler: ["epsilon", "v_prediction", "sample"],
    PNDMScheduler: ["epsilon", "v_prediction"],
    EulerDiscreteScheduler: ["epsilon", "v_prediction", "sample"],
    EulerAncestralDiscreteScheduler: ["epsilon", "v_prediction"],
    DDPMScheduler: ["epsilon", "v_prediction", "sample"],
    LMSDiscreteScheduler: ["epsilon", "v_prediction", "sample"],
    HeunDiscreteScheduler: ["epsilon", "v_prediction", "sample"],
}
SIGMA_SCHEDULERS = {EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, LMSDiscreteScheduler,
                    HeunDiscreteScheduler}


class NoiseFeed:
    """Stands in for diffusers' randn_tensor: seeded torch draws, recorded in order."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.drawn = []

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None):
        values = torch.randn(tuple(shape), generator=self.generator, dtype=torch.float32)
        self.drawn.append(values.clone())
        return values


def fake_model(model_input, index):
    return 0.3 * model_input + math.sin(index)


def run_case(cls, config, steps, begin, options, sample, noise, seed):
    module = sys.modules[cls.__module__]
    feed = NoiseFeed(seed)
    original = getattr(module, "randn_tensor", None)
    if original is not None:
        module.randn_tensor = feed
    try:
        scheduler = cls.from_config(config)
        scheduler.set_timesteps(steps)
        out = {"timesteps": scheduler.timesteps.to(torch.float32).clone(),
               "init_noise_sigma": torch.tensor([float(scheduler.init_noise_sigma)], dtype=torch.float32)}
        if cls in SIGMA_SCHEDULERS:
            out["sigmas"] = scheduler.sigmas.to(torch.float32).clone()
        timesteps = scheduler.timesteps
        if begin is None:
            latents = sample * scheduler.init_noise_sigma
        else:
            start = begin * scheduler.order
            timesteps = timesteps[start:]
            if hasattr(scheduler, "set_begin_index"):
                scheduler.set_begin_index(start)
            latents = scheduler.add_noise(sample, noise, timesteps[:1])
            out["noisy"] = latents.clone()
        results = []
        for index, t in enumerate(timesteps):
            model_input = scheduler.scale_model_input(latents, t)
            latents = scheduler.step(fake_model(model_input, index), t, latents, **options).prev_sample
            results.append(latents.clone())
        out["steps"] = torch.stack(results)
        if feed.drawn:
            out["noise"] = torch.stack(feed.drawn)
        if cls in SIGMA_SCHEDULERS and begin is None:
            fresh = cls.from_config(config)
            fresh.set_timesteps(steps)
            out["add_noise_t3"] = fresh.add_noise(sample, noise, fresh.timesteps[3:4])
        return out
    finally:
        if original is not None:
            module.randn_tensor = original


def case_list():
    cases = []

    def add(cls, name, config, steps=10, begin=None, options=None):
        cases.append(dict(name=name, cls=cls, config=dict(config, _class_name=cls.__name__), steps=steps,
                          begin=begin, options=options or {}))

    for cls, predictions in PREDICTIONS.items():
        short = cls.__name__.replace("Scheduler", "")
        variants = [("", {})]
        if cls is PNDMScheduler:
            variants = [("", {"skip_prk_steps": False}), ("_skipprk", {"skip_prk_steps": True})]
        for suffix, extra in variants:
            for spacing in SPACINGS:
                for prediction in predictions:
                    config = dict(SD15, timestep_spacing=spacing, prediction_type=prediction, **extra)
                    step_counts = [10, 7] if prediction == "epsilon" else [10]
                    for steps in step_counts:
                        add(cls, f"{short}{suffix}_{spacing}_{prediction}_{steps}", config, steps)
                config = dict(SD15, timestep_spacing=spacing, prediction_type="epsilon", **extra)
                add(cls, f"{short}{suffix}_{spacing}_img2img", config, 10, begin=3)
        add(cls, f"{short}_defaults", {}, 10)
        if cls in (EulerDiscreteScheduler, HeunDiscreteScheduler, LMSDiscreteScheduler):
            for spacing in SPACINGS:
                for steps in (10, 7):
                    config = dict(SD15, timestep_spacing=spacing, use_karras_sigmas=True)
                    add(cls, f"{short}_karras_{spacing}_{steps}", config, steps)
            add(cls, f"{short}_karras_img2img", dict(SD15, use_karras_sigmas=True), 10, begin=3)
            add(cls, f"{short}_exponential", dict(SD15, use_exponential_sigmas=True), 10)
        if cls in (DDIMScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, DDPMScheduler):
            for steps in (10, 7):
                config = dict(SD15, timestep_spacing="trailing", prediction_type="v_prediction",
                              rescale_betas_zero_snr=True)
                add(cls, f"{short}_zerosnr_{steps}", config, steps)

    sd = dict(SD15, timestep_spacing="leading")
    add(DDIMScheduler, "DDIM_eta", sd, 10, options={"eta": 0.5})
    add(DDIMScheduler, "DDIM_clip", dict(sd, clip_sample=True, clip_sample_range=0.8), 10)
    add(DDIMScheduler, "DDIM_threshold", dict(sd, thresholding=True, dynamic_thresholding_ratio=0.9,
                                              sample_max_value=1.5, prediction_type="sample"), 10)
    add(DDIMScheduler, "DDIM_trained_betas",
        dict(num_train_timesteps=100, trained_betas=[round(0.001 + 0.0002 * i, 6) for i in range(100)],
             timestep_spacing="trailing", clip_sample=False), 10)
    add(DDIMScheduler, "DDIM_squaredcos", dict(sd, beta_schedule="squaredcos_cap_v2"), 10)
    add(PNDMScheduler, "PNDM_linear", dict(sd, beta_schedule="linear", beta_start=0.0001, beta_end=0.02), 10)
    add(DDPMScheduler, "DDPM_fixed_small_log", dict(sd, variance_type="fixed_small_log"), 10)
    add(DDPMScheduler, "DDPM_fixed_large", dict(sd, variance_type="fixed_large"), 10)
    add(DDPMScheduler, "DDPM_threshold", dict(sd, thresholding=True, prediction_type="sample"), 10)
    add(DDPMScheduler, "DDPM_clip_img2img", dict(sd, clip_sample=True), 10, begin=4)
    euler = dict(SD15, timestep_spacing="linspace")
    add(EulerDiscreteScheduler, "Euler_churn", euler, 10, options={"s_churn": 0.5})
    add(EulerDiscreteScheduler, "Euler_log_linear", dict(euler, interpolation_type="log_linear"), 10)
    add(EulerDiscreteScheduler, "Euler_continuous_v", dict(euler, timestep_type="continuous",
                                                           prediction_type="v_prediction"), 10)
    add(EulerDiscreteScheduler, "Euler_final_sigma_min", dict(euler, final_sigmas_type="sigma_min"), 10)
    add(EulerDiscreteScheduler, "Euler_karras_bounds", dict(euler, use_karras_sigmas=True, sigma_min=0.1,
                                                            sigma_max=10.0), 10)
    add(HeunDiscreteScheduler, "Heun_clip", dict(euler, clip_sample=True, clip_sample_range=0.5,
                                                 prediction_type="sample"), 10)
    add(HeunDiscreteScheduler, "Heun_exp_schedule", dict(euler, beta_schedule="exp"), 10)
    add(LMSDiscreteScheduler, "LMS_leading_img2img_7", dict(SD15, timestep_spacing="leading"), 7, begin=2)
    return cases


def timesteps_exact(config):
    """Timesteps derived from σ through logs carry MKL's / NumPy's last-ulp rounding (see SigmaRamp.swift)."""
    if config.get("use_karras_sigmas") or config.get("use_exponential_sigmas"):
        return False
    return not (config.get("timestep_type") == "continuous" and config.get("prediction_type") == "v_prediction")


def noise_schedules():
    tensors, entries = {}, []

    def add(name, cls, config, exact):
        scheduler = cls.from_config(dict(config, _class_name=cls.__name__))
        tensors[f"{name}.betas"] = scheduler.betas.to(torch.float32).clone()
        tensors[f"{name}.alphas_cumprod"] = scheduler.alphas_cumprod.to(torch.float32).clone()
        entries.append(dict(name=name, config=dict(config, _class_name=cls.__name__), exact=exact))

    add("linear", DDPMScheduler, {}, True)
    add("scaled_linear", DDPMScheduler, dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear"), True)
    add("squaredcos_cap_v2", DDPMScheduler, dict(beta_schedule="squaredcos_cap_v2"), True)
    add("laplace", DDPMScheduler, dict(beta_schedule="laplace"), True)
    add("exp", HeunDiscreteScheduler, dict(beta_schedule="exp"), True)
    add("linear_300", DDPMScheduler, dict(num_train_timesteps=300, beta_start=0.0002, beta_end=0.03), True)
    # torch's CPU sigmoid / sqrt are not correctly rounded: these match to an ulp, not bit for bit.
    add("sigmoid", DDPMScheduler, dict(beta_schedule="sigmoid"), False)
    add("scaled_linear_zero_snr", DDPMScheduler, dict(beta_start=0.00085, beta_end=0.012,
                                                      beta_schedule="scaled_linear", rescale_betas_zero_snr=True), False)
    linspaces = [(0.00085 ** 0.5, 0.012 ** 0.5, 1000), (0.3, 7.7, 37), (-6.0, 6.0, 1000), (1.0, -2.5, 2),
                 (0.1, 0.2, 1), (2.0, 2.0, 5), (-1.0, 3.0, 64)]
    for index, (start, end, count) in enumerate(linspaces):
        tensors[f"linspace.{index}"] = torch.linspace(start, end, count, dtype=torch.float32)
    return tensors, entries, [list(item) for item in linspaces]


def thresholding():
    """DDIM's `_threshold_sample` on a batch of two, one threshold inside (1, sample_max_value), one clamped to 1."""
    generator = torch.Generator().manual_seed(77)
    sample = torch.randn((2, 4, 5, 3), generator=generator) * torch.tensor([1.4, 0.5]).view(2, 1, 1, 1)
    scheduler = DDIMScheduler.from_config(dict(thresholding=True, dynamic_thresholding_ratio=0.9,
                                               sample_max_value=2.0))
    return {"input": sample, "output": scheduler._threshold_sample(sample.clone())}


def generate(out_dir: pathlib.Path):
    generator = torch.Generator().manual_seed(1234)
    sample = torch.randn(SHAPE, generator=generator)
    noise = torch.randn(SHAPE, generator=generator)
    save_file({"sample": sample, "noise": noise}, out_dir / "common.safetensors")

    per_class, manifest = {}, []
    for seed, case in enumerate(case_list()):
        cls = case["cls"]
        result = run_case(cls, case["config"], case["steps"], case["begin"], case["options"], sample, noise,
                          seed=100 + seed)
        tensors = per_class.setdefault(cls.__name__, {})
        for key, value in result.items():
            tensors[f"{case['name']}.{key}"] = value.contiguous()
        manifest.append(dict(name=case["name"], file=f"{cls.__name__}.safetensors", config=case["config"],
                             steps=case["steps"], begin_index=case["begin"], options=case["options"],
                             timesteps_exact=timesteps_exact(case["config"])))
    for class_name, tensors in per_class.items():
        save_file(tensors, out_dir / f"{class_name}.safetensors")

    schedule_tensors, schedule_entries, linspaces = noise_schedules()
    save_file(schedule_tensors, out_dir / "noise_schedules.safetensors")
    save_file(thresholding(), out_dir / "thresholding.safetensors")
    # One case per line: compact, yet diffs stay readable.
    def lines(items):
        return ",\n".join("  " + json.dumps(item, separators=(",", ":")) for item in items)
    text = (f'{{"cases":[\n{lines(manifest)}\n],\n"schedules":[\n{lines(schedule_entries)}\n],\n'
            f'"linspaces":{json.dumps(linspaces)}}}\n')
    json.loads(text)
    (out_dir / "cases.json").write_text(text)

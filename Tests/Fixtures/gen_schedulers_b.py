"""Multistep scheduler fixtures (DPMSolverMultistep, UniPCMultistep, LCM) from diffusers.

For every case: the scheduler config, `timesteps` and `sigmas` after `set_timesteps`, and the full stepping loop
on a fixed latent [1, 4, 5, 3] with a deterministic fake model (`0.3 * sample + patterns[i]`). Stochastic
schedulers draw their per-step noise through `randn_tensor`, which is wrapped to record each draw so the Swift
test can replay it. img2img cases follow StableDiffusionImg2ImgPipeline: `set_timesteps(n)`, begin index
`t_start`, `add_noise` at `timesteps[t_start]`, then the loop from there. Sweep cases store only the schedules
for n = 1…25, 30, 37, 50. Files: `cases.json` (the case list) and `tensors.safetensors` ("<case>.<role>" plus shared inputs).
"""
import inspect
import json
import pathlib

import torch
from safetensors.torch import save_file
from diffusers import DPMSolverMultistepScheduler, LCMScheduler, UniPCMultistepScheduler
from diffusers.schedulers import scheduling_dpmsolver_multistep, scheduling_lcm

CLASSES = {
    "DPMSolverMultistepScheduler": DPMSolverMultistepScheduler,
    "UniPCMultistepScheduler": UniPCMultistepScheduler,
    "LCMScheduler": LCMScheduler,
}
SHAPE = (1, 4, 5, 3)
SD15 = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}
SWEEP_STEPS = list(range(1, 26)) + [30, 37, 50]

# Every randn_tensor draw of a stochastic scheduler lands here while a case runs.
_recorded_noise = []


def _recording(real):
    def randn_tensor(*args, **kwargs):
        value = real(*args, **kwargs)
        _recorded_noise.append(value.clone())
        return value
    return randn_tensor


scheduling_dpmsolver_multistep.randn_tensor = _recording(scheduling_dpmsolver_multistep.randn_tensor)
scheduling_lcm.randn_tensor = _recording(scheduling_lcm.randn_tensor)


def _make(class_name, config):
    return CLASSES[class_name].from_config({"_class_name": class_name, **config})


def _fake_model(sample, patterns, i):
    return 0.3 * sample + patterns[i]


def _run(scheduler, timesteps, sample, patterns, seed):
    generator = torch.Generator().manual_seed(seed)
    # As the pipelines' prepare_extra_step_kwargs: pass the generator only where `step` accepts one.
    extra = {"generator": generator} if "generator" in inspect.signature(scheduler.step).parameters else {}
    _recorded_noise.clear()
    outputs = []
    for i, t in enumerate(timesteps):
        model_input = scheduler.scale_model_input(sample, t)
        model_output = _fake_model(model_input, patterns, i)
        sample = scheduler.step(model_output, t, sample, **extra).prev_sample
        outputs.append(sample)
    roles = {"outputs": torch.stack(outputs)}
    if _recorded_noise:
        roles["noise"] = torch.stack(list(_recorded_noise))
    return roles


def loop_case(name, class_name, config, steps, shared, strength=None):
    """Full text-to-image style loop; `strength` is passed to LCM's own `set_timesteps` when given."""
    scheduler = _make(class_name, config)
    if strength is None:
        scheduler.set_timesteps(steps)
    else:
        scheduler.set_timesteps(steps, strength=strength)
    roles = {"timesteps": scheduler.timesteps.float()}
    if hasattr(scheduler, "sigmas"):
        roles["sigmas"] = scheduler.sigmas.float()
    roles.update(_run(scheduler, scheduler.timesteps, shared["sample0"], shared["patterns"], seed=42))
    entry = {"name": name, "kind": "loop", "config": {"_class_name": class_name, **config}, "steps": steps}
    if strength is not None:
        entry["strength"] = strength
    return entry, roles


def img2img_case(name, class_name, config, steps, strength, shared):
    """StableDiffusionImg2ImgPipeline.get_timesteps + prepare_latents + the denoising loop."""
    scheduler = _make(class_name, config)
    scheduler.set_timesteps(steps)
    init_timestep = min(int(steps * strength), steps)
    t_start = max(steps - init_timestep, 0)
    timesteps = scheduler.timesteps[t_start * scheduler.order:]
    scheduler.set_begin_index(t_start * scheduler.order)
    noised = scheduler.add_noise(shared["image0"], shared["image_noise"], timesteps[:1].repeat(1))
    roles = {"timesteps": scheduler.timesteps.float(), "noised": noised}
    roles.update(_run(scheduler, timesteps, noised, shared["patterns"], seed=7))
    entry = {"name": name, "kind": "img2img", "config": {"_class_name": class_name, **config}, "steps": steps,
             "begin_index": t_start}
    return entry, roles


def sweep_case(name, class_name, config):
    """Schedules for each n of SWEEP_STEPS concatenated: timesteps (n each) and sigmas (n + 1 each, where present)."""
    timesteps, sigmas = [], []
    for steps in SWEEP_STEPS:
        scheduler = _make(class_name, config)
        scheduler.set_timesteps(steps)
        timesteps.append(scheduler.timesteps.float())
        if hasattr(scheduler, "sigmas"):
            sigmas.append(scheduler.sigmas.float())
    roles = {"timesteps": torch.cat(timesteps)}
    if sigmas:
        roles["sigmas"] = torch.cat(sigmas)
    entry = {"name": name, "kind": "sweep", "config": {"_class_name": class_name, **config},
             "steps": list(SWEEP_STEPS)}
    return entry, roles


def _dpm_cases(shared):
    dpm = "DPMSolverMultistepScheduler"
    karras = {**SD15, "use_karras_sigmas": True}
    cases = []
    for spacing in ["linspace", "leading", "trailing"]:
        for prediction in ["epsilon", "v_prediction", "sample"]:
            for steps in ([10, 7, 4] if prediction == "epsilon" else [10]):
                config = {**SD15, "timestep_spacing": spacing, "prediction_type": prediction}
                cases.append(loop_case(f"dpm_2m_{spacing}_{prediction}_{steps}", dpm, config, steps, shared))
    for prediction in ["epsilon", "v_prediction"]:
        for steps in [10, 7, 4, 25]:
            cases.append(loop_case(f"dpm_2m_karras_{prediction}_{steps}", dpm,
                                   {**karras, "prediction_type": prediction}, steps, shared))
    for solver_type in ["midpoint", "heun"]:
        for use_karras in [False, True]:
            for steps in [10, 7]:
                config = {**SD15, "algorithm_type": "sde-dpmsolver++", "solver_type": solver_type,
                          "use_karras_sigmas": use_karras}
                cases.append(loop_case(f"dpm_sde_{solver_type}_k{int(use_karras)}_{steps}", dpm, config, steps,
                                       shared))
    for lower_order_final in [True, False]:
        for steps in [10, 20, 4]:
            config = {**SD15, "solver_order": 3, "lower_order_final": lower_order_final,
                      "final_sigmas_type": "sigma_min" if not lower_order_final else "zero"}
            cases.append(loop_case(f"dpm_3_lof{int(lower_order_final)}_{steps}", dpm, config, steps, shared))
    cases.append(loop_case("dpm_sde3_16", dpm, {**SD15, "solver_order": 3, "algorithm_type": "sde-dpmsolver++"},
                           16, shared))
    cases.append(loop_case("dpm_1_8", dpm, {**SD15, "solver_order": 1}, 8, shared))
    cases.append(loop_case("dpm_heun_9", dpm, {**SD15, "solver_type": "heun"}, 9, shared))
    for algorithm in ["dpmsolver", "sde-dpmsolver"]:
        for solver_type in ["midpoint", "heun"]:
            for order in ([2, 3] if algorithm == "dpmsolver" else [2]):  # diffusers has no 3rd-order sde-dpmsolver
                config = {**SD15, "algorithm_type": algorithm, "solver_type": solver_type, "solver_order": order,
                          "final_sigmas_type": "sigma_min", "lower_order_final": False}
                cases.append(loop_case(f"dpm_{algorithm}_{solver_type}_{order}_16", dpm, config, 16, shared))
    cases.append(loop_case("dpm_dpmsolver_thresh_12", dpm,
                           {**SD15, "algorithm_type": "dpmsolver", "final_sigmas_type": "sigma_min",
                            "thresholding": True, "sample_max_value": 1.2, "prediction_type": "v_prediction"},
                           12, shared))
    cases.append(loop_case("dpm_euler_final_10", dpm,
                           {**SD15, "euler_at_final": True, "final_sigmas_type": "sigma_min",
                            "lower_order_final": False}, 10, shared))
    cases.append(loop_case("dpm_sigma_min_18", dpm,
                           {**SD15, "final_sigmas_type": "sigma_min", "lower_order_final": False}, 18, shared))
    cases.append(loop_case("dpm_threshold_10", dpm,
                           {**SD15, "thresholding": True, "sample_max_value": 1.5, "prediction_type": "sample"},
                           10, shared))
    cases.append(loop_case("dpm_lu_10", dpm, {**SD15, "use_lu_lambdas": True}, 10, shared))
    cases.append(loop_case("dpm_exponential_10", dpm, {**SD15, "use_exponential_sigmas": True}, 10, shared))
    cases.append(loop_case("dpm_cosine_clipped_10", dpm,
                           {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}, 10, shared))
    cases.append(loop_case("dpm_zero_snr_trailing_8", dpm,
                           {**SD15, "rescale_betas_zero_snr": True, "timestep_spacing": "trailing",
                            "prediction_type": "v_prediction"}, 8, shared))
    cases.append(loop_case("dpm_defaults_6", dpm, {}, 6, shared))
    for steps, strength in [(10, 0.6), (7, 0.75), (25, 0.3)]:
        for use_karras in [False, True]:
            cases.append(img2img_case(f"dpm_img2img_k{int(use_karras)}_{steps}", dpm,
                                      {**SD15, "use_karras_sigmas": use_karras}, steps, strength, shared))
    cases.append(img2img_case("dpm_img2img_sde_10", dpm, {**SD15, "algorithm_type": "sde-dpmsolver++"}, 10, 0.8,
                              shared))
    for name, config in [
        ("dpm_sweep_linspace", {**SD15, "timestep_spacing": "linspace"}),
        ("dpm_sweep_leading", {**SD15, "timestep_spacing": "leading"}),
        ("dpm_sweep_trailing", {**SD15, "timestep_spacing": "trailing"}),
        ("dpm_sweep_karras", karras),
        ("dpm_sweep_karras_linear", {"use_karras_sigmas": True}),
        ("dpm_sweep_karras_cosine", {"use_karras_sigmas": True, "beta_schedule": "squaredcos_cap_v2"}),
        ("dpm_sweep_lu", {**SD15, "use_lu_lambdas": True}),
        ("dpm_sweep_exponential", {**SD15, "use_exponential_sigmas": True}),
        ("dpm_sweep_cosine_clipped", {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}),
        ("dpm_sweep_sigma_min", {**SD15, "final_sigmas_type": "sigma_min"}),
        ("dpm_sweep_karras_range", {**karras, "sigma_min": 0.05, "sigma_max": 12.0}),
        ("dpm_sweep_zero_snr", {**SD15, "rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
    ]:
        cases.append(sweep_case(name, dpm, config))
    return cases


def _unipc_cases(shared):
    unipc = "UniPCMultistepScheduler"
    cases = []
    for solver_type in ["bh1", "bh2"]:
        for predict_x0 in [True, False]:
            for order in [1, 2, 3]:
                config = {**SD15, "solver_type": solver_type, "predict_x0": predict_x0, "solver_order": order,
                          "final_sigmas_type": "sigma_min"}
                cases.append(loop_case(f"unipc_{solver_type}_x0{int(predict_x0)}_{order}_10", unipc, config, 10,
                                       shared))
    # With a zero final sigma, bh1 and predict_x0=False end in NaN in diffusers (inf * 0 in the last update).
    for solver_type, predict_x0 in [("bh1", True), ("bh2", False)]:
        config = {**SD15, "solver_type": solver_type, "predict_x0": predict_x0}
        cases.append(loop_case(f"unipc_nan_final_{solver_type}_x0{int(predict_x0)}_6", unipc, config, 6, shared))
    for spacing in ["linspace", "leading", "trailing"]:
        for prediction in ["epsilon", "v_prediction", "sample"]:
            for steps in ([7, 4] if prediction == "epsilon" else [7]):
                config = {**SD15, "timestep_spacing": spacing, "prediction_type": prediction}
                cases.append(loop_case(f"unipc_{spacing}_{prediction}_{steps}", unipc, config, steps, shared))
    for prediction in ["v_prediction", "sample"]:
        config = {**SD15, "predict_x0": False, "prediction_type": prediction, "final_sigmas_type": "sigma_min"}
        cases.append(loop_case(f"unipc_x0f_{prediction}_8", unipc, config, 8, shared))
    cases.append(loop_case("unipc_karras_12", unipc, {**SD15, "use_karras_sigmas": True}, 12, shared))
    cases.append(loop_case("unipc_karras_sigma_min_12", unipc,
                           {**SD15, "use_karras_sigmas": True, "final_sigmas_type": "sigma_min"}, 12, shared))
    cases.append(loop_case("unipc_exponential_9", unipc, {**SD15, "use_exponential_sigmas": True}, 9, shared))
    cases.append(loop_case("unipc_disable_corrector_10", unipc,
                           {**SD15, "disable_corrector": [0, 2], "solver_order": 3}, 10, shared))
    cases.append(loop_case("unipc_no_lof_sigma_min_10", unipc,
                           {**SD15, "lower_order_final": False, "solver_order": 3, "final_sigmas_type": "sigma_min"},
                           10, shared))
    cases.append(loop_case("unipc_threshold_10", unipc,
                           {**SD15, "thresholding": True, "sample_max_value": 1.5, "prediction_type": "sample"},
                           10, shared))
    cases.append(loop_case("unipc_zero_snr_trailing_8", unipc,
                           {**SD15, "rescale_betas_zero_snr": True, "timestep_spacing": "trailing",
                            "prediction_type": "v_prediction"}, 8, shared))
    cases.append(loop_case("unipc_defaults_6", unipc, {}, 6, shared))
    for steps, strength in [(10, 0.6), (7, 0.75)]:
        for use_karras in [False, True]:
            cases.append(img2img_case(f"unipc_img2img_k{int(use_karras)}_{steps}", unipc,
                                      {**SD15, "use_karras_sigmas": use_karras}, steps, strength, shared))
    for name, config in [
        ("unipc_sweep_linspace", {**SD15, "timestep_spacing": "linspace"}),
        ("unipc_sweep_leading", {**SD15, "timestep_spacing": "leading"}),
        ("unipc_sweep_trailing", {**SD15, "timestep_spacing": "trailing"}),
        ("unipc_sweep_karras", {**SD15, "use_karras_sigmas": True}),
        ("unipc_sweep_karras_sigma_min", {**SD15, "use_karras_sigmas": True, "final_sigmas_type": "sigma_min"}),
        ("unipc_sweep_exponential", {**SD15, "use_exponential_sigmas": True}),
        ("unipc_sweep_exponential_range", {**SD15, "use_exponential_sigmas": True, "sigma_min": 0.05, "sigma_max": 12.0}),
    ]:
        cases.append(sweep_case(name, unipc, config))
    return cases


def _lcm_cases(shared):
    lcm = "LCMScheduler"
    base = {**SD15, "original_inference_steps": 50}
    cases = []
    for prediction in ["epsilon", "v_prediction", "sample"]:
        for steps in [4, 7, 1, 8]:
            cases.append(loop_case(f"lcm_{prediction}_{steps}", lcm, {**base, "prediction_type": prediction}, steps,
                                   shared))
    cases.append(loop_case("lcm_scaling5_6", lcm, {**base, "timestep_scaling": 5.0}, 6, shared))
    cases.append(loop_case("lcm_clip_6", lcm,
                           {**base, "clip_sample": True, "clip_sample_range": 1.1, "prediction_type": "sample"}, 6,
                           shared))
    cases.append(loop_case("lcm_threshold_6", lcm,
                           {**base, "thresholding": True, "sample_max_value": 1.3, "prediction_type": "sample"}, 6,
                           shared))
    cases.append(loop_case("lcm_zero_snr_5", lcm,
                           {**base, "rescale_betas_zero_snr": True, "prediction_type": "v_prediction"}, 5, shared))
    cases.append(loop_case("lcm_defaults_4", lcm, {}, 4, shared))
    for steps, strength in [(4, 0.5), (6, 0.7)]:
        cases.append(loop_case(f"lcm_strength_{steps}", lcm, base, steps, shared, strength=strength))
    for steps, strength in [(4, 0.5), (8, 0.6)]:
        cases.append(img2img_case(f"lcm_img2img_{steps}", lcm, base, steps, strength, shared))
    cases.append(sweep_case("lcm_sweep_50", lcm, base))
    cases.append(sweep_case("lcm_sweep_100", lcm, {**base, "original_inference_steps": 100}))
    return cases


def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(20240601)
    index = torch.arange(SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3], dtype=torch.float32).reshape(SHAPE)
    shared = {
        "sample0": torch.randn(SHAPE, generator=g),
        "image0": torch.randn(SHAPE, generator=g) * 0.8,
        "image_noise": torch.randn(SHAPE, generator=g),
        "patterns": torch.stack([torch.sin(index * 0.37 + i) for i in range(60)]),
    }
    cases = _dpm_cases(shared) + _unipc_cases(shared) + _lcm_cases(shared)
    tensors = {f"shared.{key}": value.contiguous() for key, value in shared.items()}
    # Training schedules (torch float32 linspace / cumprod), checked bit for bit.
    for key, config in [("sd15", SD15), ("linear", {}), ("cosine", {"beta_schedule": "squaredcos_cap_v2"}),
                        ("zero_snr", {**SD15, "rescale_betas_zero_snr": True})]:
        scheduler = _make("DPMSolverMultistepScheduler", config)
        tensors[f"train.{key}.alphas_cumprod"] = scheduler.alphas_cumprod.float().contiguous()
        tensors[f"train.{key}.sigmas"] = scheduler.sigmas.float().contiguous()
    listing = []
    for entry, roles in cases:
        listing.append(entry)
        for role, value in roles.items():
            tensors[f"{entry['name']}.{role}"] = value.detach().float().contiguous()
    save_file(tensors, str(out_dir / "tensors.safetensors"))
    (out_dir / "cases.json").write_text("[\n" + ",\n".join(json.dumps(entry) for entry in listing) + "\n]\n")

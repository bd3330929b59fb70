"""Fixtures for the latent previews of each denoising step.

trained_vae/ — a small AutoencoderKL shaped like the pipeline test models' VAEs (16/32 channels, 4 latent channels,
factor 2), trained here for a few hundred Adam steps to reconstruct smooth random colour fields, so that its
decoder means something: random-weight VAEs decode latents to noise no linear map predicts, so the tests that
check a preview against the decoded image swap this VAE into the SD, InstructPix2Pix and SDXL test models.

projection.safetensors — the linear latent→RGB projection fitted against a VAE, exactly as the engine fits it
(`LatentProjection.fitted`), for the bundled weights/tiny-sd VAE (`sd.`), the SDXL-shaped test VAE
(`sdxl.`, Tests/Fixtures/sdxl_pipelines/models/sdxl/vae) and the trained one (`trained.`):
- the fit images: `fit_images()` below, eight 64×64 procedural images in [−1, 1] (four two-dimensional colour
  gradients, four grids of 16 flat patches covering the 4×4×4 RGB levels {0, 1/3, 2/3, 1});
- x = the encoder's latent means, as the UNet sees latents: (mean − shift_factor) · scaling_factor (`sd.latents`);
- y = the VAE's own reconstruction `decode(mean)`, area-averaged over each latent pixel's f×f block (`sd.targets`):
  in-distribution latents (real latents are encoder outputs or UNet predictions of them), mapped to what the
  decoder will actually show — for a real VAE that is the image itself, for a fine-tuned or random-weight decoder
  its own colours;
- least squares in float64 of y on [x, 1] over every latent pixel: `<p>.weight` [3, C] and `<p>.bias` [3].

taesd/ — a random-weight diffusers `AutoencoderTiny` (TAESD's architecture: 3/3/3/1 decoder and 1/3/3/3 encoder
blocks, 8 channels wide) in diffusers' layout, and taesd.safetensors with `latents` [2, 4, 8, 8] (σ = 2, so the
decoder's tanh clamp matters) → `decoded` [2, 3, 64, 64], and `image` [1, 3, 64, 64] → `encoded` [1, 4, 8, 8].

x0.safetensors + x0_cases.json — each scheduler's predicted clean sample per step (`pred_original_sample`, LCM's
`denoised`, the DPM-Solver++ / UniPC converted model output `model_outputs[-1]`, or for schedulers whose update
never forms it — PNDM, DPM-Solver on ε — the x̂₀ of the step's model output at its input sample and noise level),
over the loop of gen_schedulers_a.py: start `common.sample · init_noise_sigma`, fake model output
`0.3 · scale_model_input(x, t) + sin(i)`; `<case>.x0` [steps, …] and `<case>.steps` (the samples).
"""
import json
import math
import pathlib

import torch
from safetensors.torch import save_file
from diffusers import (AutoencoderKL, AutoencoderTiny, DDIMScheduler, DPMSolverMultistepScheduler,
                       EulerDiscreteScheduler, HeunDiscreteScheduler, PNDMScheduler, UniPCMultistepScheduler)

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
VAES = {"sd": REPO / "weights/tiny-sd/vae", "sdxl": HERE / "sdxl_pipelines/models/sdxl/vae",
        "trained": HERE / "previews/trained_vae"}
TRAINING_STEPS = 600
FIT_SIZE = 64
SHAPE = (1, 4, 5, 3)
SD15 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            steps_offset=1, set_alpha_to_one=False, clip_sample=False)


def fit_images(size=FIT_SIZE):
    """Eight procedural images [8, 3, size, size] in [−1, 1]: gradients, then flat-colour patch grids."""
    ramp = torch.arange(size, dtype=torch.float32) / (size - 1)
    y, x = torch.meshgrid(ramp, ramp, indexing="ij")
    gradients = [(x, y, 1 - (x + y) / 2), (y, 1 - x, x * y), (1 - x * y, x, 1 - y), ((x + y) / 2, 1 - y, x)]
    images = [torch.stack(channels) for channels in gradients]
    levels = [0.0, 1 / 3, 2 / 3, 1.0]
    side = size // 4
    for grid in range(4):
        image = torch.zeros(3, size, size)
        for patch in range(16):
            colour = grid * 16 + patch
            rgb = torch.tensor([levels[colour % 4], levels[colour // 4 % 4], levels[colour // 16]],
                               dtype=torch.float32)
            row, column = divmod(patch, 4)
            image[:, row * side:(row + 1) * side, column * side:(column + 1) * side] = rgb[:, None, None]
        images.append(image)
    return torch.stack(images) * 2 - 1


def fit_projection(vae, images):
    mean = vae.encode(images).latent_dist.mean
    shift = vae.config.shift_factor or 0.0
    latents = (mean - shift) * vae.config.scaling_factor
    factor = images.shape[-1] // latents.shape[-1]
    targets = torch.nn.functional.avg_pool2d(vae.decode(mean).sample, factor)
    x = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1]).double()
    x = torch.cat([x, torch.ones(x.shape[0], 1, dtype=torch.float64)], dim=1)
    y = targets.permute(0, 2, 3, 1).reshape(-1, 3).double()
    solution = torch.linalg.lstsq(x, y, driver="gelsd").solution  # [C + 1, 3]
    residual = y - x @ solution
    r2 = 1 - residual.pow(2).sum(0) / (y - y.mean(0)).pow(2).sum(0)
    return {"r2": r2, "latents": latents, "targets": targets, "weight": solution[:-1].T.float().contiguous(),
            "bias": solution[-1].float().contiguous()}


def colour_fields(count, size, g):
    """Smooth random colour images in [−1, 1]: a 4×4 grid of random colours, bilinearly upsampled."""
    grid = torch.rand(count, 3, 4, 4, generator=g) * 2 - 1
    return torch.nn.functional.interpolate(grid, size=(size, size), mode="bilinear", align_corners=True)


def trained_vae(out_dir, g):
    torch.manual_seed(1)  # module initialisation
    vae = AutoencoderKL(down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                        block_out_channels=(16, 32), layers_per_block=1, latent_channels=4, norm_num_groups=4,
                        sample_size=32)
    optimizer = torch.optim.Adam(vae.parameters(), lr=2e-3)
    with torch.enable_grad():
        for step in range(TRAINING_STEPS):
            images = colour_fields(16, 32, g)
            posterior = vae.encode(images).latent_dist
            reconstruction = vae.decode(posterior.sample(generator=g)).sample
            loss = torch.nn.functional.mse_loss(reconstruction, images) + 1e-6 * posterior.kl().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    print(f"trained_vae: reconstruction MSE {loss.item():.5f} after {TRAINING_STEPS} steps")
    vae.eval().save_pretrained(out_dir / "trained_vae")


def projections(out_dir):
    images = fit_images()
    tensors = {}
    for prefix, folder in VAES.items():
        vae = AutoencoderKL.from_pretrained(folder).eval()
        fit = fit_projection(vae, images)
        print(f"projection {prefix}: R² per channel {[round(v, 3) for v in fit.pop('r2').tolist()]}")
        for name, value in fit.items():
            if prefix == "sd" or name in ("weight", "bias"):  # the fit's inputs for the bundled VAE only: small
                tensors[f"{prefix}.{name}"] = value.contiguous()
    save_file(tensors, out_dir / "projection.safetensors")


def tiny_autoencoder(out_dir, g):
    torch.manual_seed(0)  # module initialisation
    model = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    model.save_pretrained(out_dir / "taesd")
    latents = 2 * torch.randn(2, 4, 8, 8, generator=g)
    image = torch.rand(1, 3, 64, 64, generator=g) * 2 - 1
    save_file({"latents": latents, "decoded": model.decode(latents).sample.contiguous(),
               "image": image, "encoded": model.encode(image).latents.contiguous()}, out_dir / "taesd.safetensors")


def x0_cases():
    linspace = dict(SD15, timestep_spacing="linspace")
    return [
        ("euler_epsilon", EulerDiscreteScheduler, linspace, 8),
        ("euler_v", EulerDiscreteScheduler, dict(linspace, prediction_type="v_prediction"), 8),
        ("ddim_v", DDIMScheduler, dict(SD15, prediction_type="v_prediction"), 8),
        ("heun_epsilon", HeunDiscreteScheduler, linspace, 5),
        ("dpmpp_2m_karras", DPMSolverMultistepScheduler, dict(SD15, use_karras_sigmas=True), 8),
        ("dpm_solver_epsilon", DPMSolverMultistepScheduler, dict(SD15, algorithm_type="dpmsolver",
                                                                                   final_sigmas_type="sigma_min"), 8),
        ("unipc", UniPCMultistepScheduler, SD15, 8),
        ("pndm_skip_prk", PNDMScheduler, dict(SD15, skip_prk_steps=True), 8),
    ]


def x0_of_step(scheduler, output, sample, t, step_output):
    """What the scheduler predicts as the clean sample at this step (see the module docstring)."""
    if getattr(step_output, "pred_original_sample", None) is not None:
        return step_output.pred_original_sample
    if isinstance(scheduler, (DPMSolverMultistepScheduler, UniPCMultistepScheduler)):
        converted = scheduler.model_outputs[-1]
        config = scheduler.config
        if config.get("predict_x0", True) and config.get("algorithm_type") in ("dpmsolver++", "sde-dpmsolver++", None):
            return converted
        sigma = scheduler.sigmas[scheduler.step_index - 1]
        alpha_t, sigma_t = scheduler._sigma_to_alpha_sigma_t(sigma)
        return (sample - sigma_t * converted) / alpha_t
    if isinstance(scheduler, PNDMScheduler):
        alpha_prod = scheduler.alphas_cumprod[int(t)]
        return (sample - (1 - alpha_prod) ** 0.5 * output) / alpha_prod ** 0.5
    raise ValueError(f"no x0 rule for {type(scheduler).__name__}")


def predicted_originals(out_dir, g):
    sample = torch.randn(SHAPE, generator=g)
    tensors, manifest = {"common.sample": sample}, []
    for name, cls, config, steps in x0_cases():
        config = dict(config, _class_name=cls.__name__)
        scheduler = cls.from_config(config)
        scheduler.set_timesteps(steps)
        latents = sample * scheduler.init_noise_sigma
        originals, samples = [], []
        for index, t in enumerate(scheduler.timesteps):
            output = 0.3 * scheduler.scale_model_input(latents, t) + math.sin(index)
            result = scheduler.step(output, t, latents)
            originals.append(x0_of_step(scheduler, output, latents, t, result).clone())
            latents = result.prev_sample
            samples.append(latents.clone())
        tensors[f"{name}.x0"] = torch.stack(originals).to(torch.float32)
        tensors[f"{name}.steps"] = torch.stack(samples)
        manifest.append(dict(name=name, config=config, steps=steps))
    save_file({k: v.contiguous() for k, v in tensors.items()}, out_dir / "x0.safetensors")
    (out_dir / "x0_cases.json").write_text(json.dumps(manifest, indent=1) + "\n")


@torch.no_grad()
def generate(out_dir: pathlib.Path):
    g = torch.Generator().manual_seed(18)
    trained_vae(out_dir, g)
    projections(out_dir)
    tiny_autoencoder(out_dir, g)
    predicted_originals(out_dir, g)


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "previews"
    out.mkdir(exist_ok=True)
    generate(out)

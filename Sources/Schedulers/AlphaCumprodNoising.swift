// The forward process of the alphas_cumprod schedulers (DDIM, DDPM, PNDM and LCM `add_noise`):
// x_t = √ᾱ_t · x₀ + √(1 − ᾱ_t) · ε, in float32.

import Tensors

/// `add_noise(original, noise, t)` with ᾱ_t = alphas_cumprod[t]; a timestep outside the training range, which
/// no `set_timesteps` produces, returns the original unchanged.
func addNoiseByAlphaCumprod(original: Tensor, noise: Tensor, timestep: Float, schedule: NoiseSchedule) -> Tensor {
    guard timestep.rounded() == timestep, abs(timestep) < 1e9,
          let alphaProd = schedule.alphaCumprod(at: Int(timestep)) else { return original }
    return original * alphaProd.squareRoot() + noise * (1 - alphaProd).squareRoot()
}

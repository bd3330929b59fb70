// Sigma schedules of the multistep schedulers: Karras (ρ = 7), exponential and Lu (uniform log-SNR) spacings,
// σ → t interpolation in log σ, and the VP conversion σ → (α_t, σ_t, λ_t), as diffusers computes them.

import Foundation

/// The discretisations of the noise levels `set_timesteps` can use instead of the timestep spacing.
enum MultistepSigmaSpacing: Equatable {
    case timesteps, karras, exponential, luLambdas
}

/// `_convert_to_karras`: `(σmax^(1/ρ) + ramp·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ` with ρ = 7, in float64.
func multistepKarrasSigmas(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
    let rho = 7.0
    let minInvRho = pow(sigmaMin, 1 / rho), maxInvRho = pow(sigmaMax, 1 / rho)
    return multistepNumpyLinspace(start: 0, stop: 1, count: count).map { ramp in
        pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho)
    }
}

/// `_convert_to_exponential`: `exp(linspace(log σmax, log σmin, count))`.
func multistepExponentialSigmas(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
    multistepNumpyLinspace(start: log(sigmaMax), stop: log(sigmaMin), count: count).map { exp($0) }
}

/// DPM-Solver's `_convert_to_lu` followed by `np.exp`: log σ uniformly spaced between the training extremes.
func multistepLuSigmas(logSigmas: [Float], count: Int) -> [Double] {
    let lambdaMin = Double(logSigmas[0]), lambdaMax = Double(logSigmas[logSigmas.count - 1])
    return multistepNumpyLinspace(start: 0, stop: 1, count: count).map { ramp in
        exp(lambdaMax + ramp * (lambdaMin - lambdaMax))
    }
}

/// `_sigma_to_t`: the fractional training timestep whose log σ brackets `sigma`, interpolated linearly.
/// `logSigmas` is the float32 `np.log` of the training sigmas (ascending).
func multistepSigmaToTimestep(_ sigma: Double, logSigmas: [Float]) -> Double {
    let logSigma = log(max(sigma, 1e-10))
    // argmax of the cumulative count of `log σ_i ≤ log σ`: the last such index, or 0 when there is none.
    var lastAtOrBelow = 0
    for (index, value) in logSigmas.enumerated() where logSigma - Double(value) >= 0 { lastAtOrBelow = index }
    let lowIndex = min(lastAtOrBelow, logSigmas.count - 2)
    let low = logSigmas[lowIndex], high = logSigmas[lowIndex + 1]
    var weight = (Double(low) - logSigma) / Double(low - high)
    weight = weight.isNaN ? weight : min(max(weight, 0), 1)
    return (1 - weight) * Double(lowIndex) + weight * Double(lowIndex + 1)
}

/// `np.log` of the float32 training sigmas.
func multistepLogSigmas(_ trainSigmas: [Float]) -> [Float] {
    trainSigmas.map { log($0) }
}

/// `np.interp(timesteps, arange(N), trainSigmas)` for integer timesteps (clamped to the table's ends).
func multistepSigmasAtTimesteps(_ timesteps: [Int], trainSigmas: [Float]) -> [Float] {
    timesteps.map { trainSigmas[min(max($0, 0), trainSigmas.count - 1)] }
}

/// `_sigma_to_alpha_sigma_t` for VP schedules: α_t = 1/√(σ²+1), σ_t = σ·α_t (float32 ops as torch).
func multistepAlphaSigma(_ sigma: Float) -> (alpha: Float, sigma: Float) {
    let alpha = 1 / (sigma * sigma + 1).squareRoot()
    return (alpha, sigma * alpha)
}

/// λ = log α_t − log σ_t of the noise level `sigma` (+∞ at σ = 0).
func multistepLambda(_ sigma: Float) -> (alpha: Float, sigma: Float, lambda: Float) {
    let (alpha, sigmaT) = multistepAlphaSigma(sigma)
    return (alpha, sigmaT, log(alpha) - log(sigmaT))
}

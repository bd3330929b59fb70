// Noise levels σ of the σ schedulers and multistep solvers: σ_t = √((1 − ᾱ_t) / ᾱ_t) from alphas_cumprod,
// np.interp of σ at fractional timesteps, the Karras / exponential / Lu / log-linear σ ramps and `_sigma_to_t`,
// with the float32 / float64 mix diffusers uses (torch float32 tensors, NumPy float64 arithmetic).
//
// Known ulp-level deviation: torch's CPU sqrt/log/exp (MKL) and NumPy's float32 log (SIMD) are faithfully but
// not correctly rounded; here they are correctly rounded. σ values then differ by at most an ulp, and
// timesteps derived from σ (`timestep(forSigma:)`, Karras) by about 1e-5 absolute.

import Foundation

/// σ schedules and the σ ↔ t maps of diffusers' sigma schedulers.
public enum SigmaSchedules {
    /// `((1 − alphas_cumprod) / alphas_cumprod) ** 0.5` in float32, ascending in t (index = training timestep).
    public static func trainingSigmas(alphasCumprod: [Float]) -> [Float] {
        alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// `np.log(sigmas)` of a float32 array: float32 natural logarithms, taken in double and rounded. (NumPy's
    /// SIMD float32 log is up to 2 ulp off; this rounding and Glibc's logf give identical results on every
    /// scheduler fixture, and this one agrees with np.log on slightly more of the SD training σ's.)
    public static func logSigmas(_ sigmas: [Float]) -> [Float] {
        sigmas.map { Float(log(Double($0))) }
    }

    /// `np.interp(x, xp, fp)` in float64 (xp ascending): fp[0] left of the range, fp[last] right of it, exact fp[j]
    /// at a knot, else slope · (x − xp[j]) + fp[j] with slope = (fp[j+1] − fp[j]) / (xp[j+1] − xp[j]).
    public static func interpolate(_ x: [Double], xp: [Double], fp: [Double]) -> [Double] {
        precondition(xp.count == fp.count && !xp.isEmpty, "np.interp needs equal, non-empty xp and fp")
        let last = xp.count - 1
        return x.map { value in
            if value.isNaN { return value }
            if value < xp[0] { return fp[0] }
            if value >= xp[last] { return fp[last] }
            // Largest j with xp[j] <= value (value < xp[last] here, so j < last).
            var low = 0, high = last
            while high - low > 1 {
                let mid = (low + high) / 2
                if xp[mid] <= value { low = mid } else { high = mid }
            }
            if xp[low] == value { return fp[low] }
            let slope = (fp[low + 1] - fp[low]) / (xp[low + 1] - xp[low])
            return slope * (value - xp[low]) + fp[low]
        }
    }

    /// σ at fractional timesteps: `np.interp(timesteps, np.arange(len(sigmas)), sigmas)` (float64 result).
    public static func sigmas(at timesteps: [Float], trainingSigmas: [Float]) -> [Double] {
        interpolate(timesteps.map(Double.init), xp: trainingSigmas.indices.map(Double.init),
                    fp: trainingSigmas.map(Double.init))
    }

    /// Karras et al. (2022) σ ramp: (σ_max^(1/ρ) + ramp · (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, ramp = np.linspace(0, 1, n).
    public static func karras(sigmaMin: Double, sigmaMax: Double, count: Int, rho: Double = 7) -> [Double] {
        let minInvRho = pow(sigmaMin, 1 / rho), maxInvRho = pow(sigmaMax, 1 / rho)
        return NumPyRanges.linspace(0, 1, count: count).map { ramp in
            pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho)
        }
    }

    /// Exponential σ ramp: `np.exp(np.linspace(log σ_max, log σ_min, n))`.
    public static func exponential(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
        NumPyRanges.linspace(log(sigmaMax), log(sigmaMin), count: count).map { Foundation.exp($0) }
    }

    /// DPM-Solver's `_convert_to_lu` (ρ = 1) followed by `np.exp`: log σ uniformly spaced from the largest to
    /// the smallest training log σ (`logSigmas` ascending, float32 as `np.log` gives them), in float64.
    public static func lu(logSigmas: [Float], count: Int) -> [Double] {
        guard let first = logSigmas.first, let last = logSigmas.last else { return [] }
        let lambdaMin = Double(first), lambdaMax = Double(last)
        return NumPyRanges.linspace(0, 1, count: count).map { ramp in
            Foundation.exp(lambdaMax + ramp * (lambdaMin - lambdaMax))
        }
    }

    /// Euler's `interpolation_type="log_linear"`: `torch.linspace(log σ_last, log σ_first, n).exp()` in float32,
    /// with the logs taken in float32 (np.log of float32 values). Note: diffusers passes `n = steps + 1`.
    public static func logLinear(trainingSigmas: [Float], count: Int) -> [Float] {
        guard let first = trainingSigmas.first, let last = trainingSigmas.last else { return [] }
        let start = Float(log(Double(last))), end = Float(log(Double(first)))
        return NoiseSchedule.torchLinspace(start: Double(start), end: Double(end), count: count)
            .map { Float(Foundation.exp(Double($0))) }
    }

    /// `_sigma_to_t(sigma, log_sigmas)`: the fractional training timestep whose log σ (linearly interpolated in
    /// `logSigmas`, float32) equals log σ; the weight is clipped to [0, 1].
    public static func timestep(forSigma sigma: Double, logSigmas: [Float]) -> Double {
        precondition(logSigmas.count >= 2, "_sigma_to_t needs at least two training sigmas")
        let logSigma = log(max(sigma, 1e-10))
        // argmax of cumsum(dists >= 0): the last index whose log σ is ≤ log_sigma (0 when none), clipped.
        var lowIndex = 0
        for (index, value) in logSigmas.enumerated() where logSigma - Double(value) >= 0 { lowIndex = index }
        lowIndex = min(lowIndex, logSigmas.count - 2)
        let highIndex = lowIndex + 1
        let low = logSigmas[lowIndex], high = logSigmas[highIndex]
        var weight = (Double(low) - logSigma) / Double(low - high)   // low − high is a float32 subtraction
        weight = weight.isNaN ? weight : min(max(weight, 0), 1)       // np.clip keeps a NaN
        return (1 - weight) * Double(lowIndex) + weight * Double(highIndex)
    }

    /// Fractional timesteps as diffusers stores them after `.astype(np.int64)`: rounded half to even first
    /// (`np.round`) when `rounded`, else truncated toward zero; NaN or out of range gives x86's Int64.min.
    public static func integralTimesteps(_ timesteps: [Double], rounded: Bool) -> [Float] {
        timesteps.map { value in
            let integral = rounded ? value.rounded(.toNearestOrEven) : value.rounded(.towardZero)
            return Float(abs(integral) < 0x1p63 ? Int64(integral) : Int64.min)
        }
    }

    /// `init_noise_sigma` of the σ schedulers: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public static func initNoiseSigma(sigmas: [Float], spacing: TimestepSpacing) -> Float {
        let maxSigma = sigmas.max() ?? 0
        return spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }
}

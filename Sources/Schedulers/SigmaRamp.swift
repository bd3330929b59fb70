// The optional σ re-spacing of `set_timesteps`: `use_karras_sigmas`, `use_exponential_sigmas`, DPM-Solver's
// `use_lu_lambdas` and Euler's log-linear interpolation (`use_beta_sigmas` needs SciPy's beta quantile and is
// rejected), between the schedule's σ_min and σ_max or the config's `sigma_min` / `sigma_max` when the file has
// them (LMS's Karras ramp ignores them), with timesteps mapped back from σ by `_sigma_to_t`.
//
// Known ulp-level deviation: torch's CPU log/exp (MKL) and NumPy's float32 log (SIMD) are faithfully but not
// correctly rounded; here they are correctly rounded, so timesteps derived from σ (`timestep(forSigma:)`,
// Karras) differ from diffusers' by about 1e-5 absolute.

import Foundation

/// Which σ ramp replaces the interpolated σ's, if any, and the ramps' formulas.
struct SigmaRamp {
    enum Kind { case interpolated, karras, exponential, luLambdas }
    let kind: Kind
    /// Config overrides of the ramp ends (diffusers reads them with `hasattr(self.config, "sigma_min")`).
    let sigmaMin: Double?
    let sigmaMax: Double?

    /// No re-spacing: the scheduler class has none of the `use_*_sigmas` options.
    static let none = SigmaRamp(kind: .interpolated, sigmaMin: nil, sigmaMax: nil)

    private init(kind: Kind, sigmaMin: Double?, sigmaMax: Double?) {
        self.kind = kind
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    /// Reads the `use_*` flags in diffusers' precedence (Karras, then Lu's λ spacing where `allowsLuLambdas`,
    /// then exponential); beta sigmas, Karras with exponential, or — where `hasFlowOptions` — flow sigmas and
    /// dynamic shifting are `unsupported` errors. `karrasReadsBounds` is false for LMS.
    init(config: SchedulerConfig, scheduler: String, karrasReadsBounds: Bool = true, allowsLuLambdas: Bool = false,
         hasFlowOptions: Bool = false) throws {
        try rejectEnabled(config.useBetaSigmas, field: "use_beta_sigmas", scheduler: scheduler,
                          instead: " (use_karras_sigmas or use_exponential_sigmas instead)")
        if hasFlowOptions {
            try rejectEnabled(config.useFlowSigmas, field: "use_flow_sigmas", scheduler: scheduler)
            try rejectEnabled(config.useDynamicShifting, field: "use_dynamic_shifting", scheduler: scheduler)
        }
        let karras = config.useKarrasSigmas ?? false, exponential = config.useExponentialSigmas ?? false
        if karras && exponential {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "use_karras_sigmas + use_exponential_sigmas",
                                             value: "both true", supported: "at most one of them")
        }
        let lu = allowsLuLambdas && (config.useLuLambdas ?? false)
        kind = karras ? .karras : lu ? .luLambdas : exponential ? .exponential : .interpolated
        let readsBounds = kind == .exponential || (kind == .karras && karrasReadsBounds)
        sigmaMin = readsBounds ? config.sigmaMin : nil
        sigmaMax = readsBounds ? config.sigmaMax : nil
    }

    /// The ramp's `count` σ values from the descending interpolated ones (ends: last and first) or, for Lu's
    /// spacing, from the training log σ's; nil when not re-spaced.
    func sigmas(from interpolated: [Double], logSigmas: [Float], count: Int) -> [Double]? {
        guard let first = interpolated.first, let last = interpolated.last else { return nil }
        let low = sigmaMin ?? last, high = sigmaMax ?? first
        switch kind {
        case .interpolated: return nil
        case .karras: return Self.karras(sigmaMin: low, sigmaMax: high, count: count)
        case .exponential: return Self.exponential(sigmaMin: low, sigmaMax: high, count: count)
        case .luLambdas: return Self.lu(logSigmas: logSigmas, count: count)
        }
    }

    /// The step σ's and fractional timesteps: the interpolated ones unchanged, or the ramp's σ's with the
    /// timesteps `_sigma_to_t` gives them.
    func schedule(interpolated: [Double], timesteps: [Double], logSigmas: [Float],
                  count: Int) -> (sigmas: [Double], timesteps: [Double]) {
        guard let ramp = sigmas(from: interpolated, logSigmas: logSigmas, count: count) else {
            return (interpolated, timesteps)
        }
        return (ramp, ramp.map { Self.timestep(forSigma: $0, logSigmas: logSigmas) })
    }

    // MARK: - Ramps

    /// Karras et al. (2022) σ ramp: (σ_max^(1/ρ) + ramp · (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, ramp = np.linspace(0, 1, n).
    static func karras(sigmaMin: Double, sigmaMax: Double, count: Int, rho: Double = 7) -> [Double] {
        let minInvRho = pow(sigmaMin, 1 / rho), maxInvRho = pow(sigmaMax, 1 / rho)
        return NumPyRanges.linspace(0, 1, count: count).map { ramp in
            pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho)
        }
    }

    /// Exponential σ ramp: `np.exp(np.linspace(log σ_max, log σ_min, n))`.
    static func exponential(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
        NumPyRanges.linspace(log(sigmaMax), log(sigmaMin), count: count).map { Foundation.exp($0) }
    }

    /// DPM-Solver's `_convert_to_lu` (ρ = 1) followed by `np.exp`: log σ uniformly spaced from the largest to
    /// the smallest training log σ (`logSigmas` ascending, float32 as `np.log` gives them), in float64.
    static func lu(logSigmas: [Float], count: Int) -> [Double] {
        guard let first = logSigmas.first, let last = logSigmas.last else { return [] }
        let lambdaMin = Double(first), lambdaMax = Double(last)
        return NumPyRanges.linspace(0, 1, count: count).map { ramp in
            Foundation.exp(lambdaMax + ramp * (lambdaMin - lambdaMax))
        }
    }

    /// Euler's `interpolation_type="log_linear"`: `torch.linspace(log σ_last, log σ_first, n).exp()` in float32,
    /// with the logs taken in float32 (np.log of float32 values). Note: diffusers passes `n = steps + 1`.
    static func logLinear(trainingSigmas: [Float], count: Int) -> [Float] {
        guard let first = trainingSigmas.first, let last = trainingSigmas.last else { return [] }
        let start = Float(log(Double(last))), end = Float(log(Double(first)))
        return NoiseSchedule.torchLinspace(start: Double(start), end: Double(end), count: count)
            .map { Float(Foundation.exp(Double($0))) }
    }

    // MARK: - σ → t

    /// `_sigma_to_t(sigma, log_sigmas)`: the fractional training timestep whose log σ (linearly interpolated in
    /// `logSigmas`, float32) equals log σ; the weight is clipped to [0, 1].
    static func timestep(forSigma sigma: Double, logSigmas: [Float]) -> Double {
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
    static func integralTimesteps(_ timesteps: [Double], rounded: Bool) -> [Float] {
        timesteps.map { value in
            let integral = rounded ? value.rounded(.toNearestOrEven) : value.rounded(.towardZero)
            return Float(abs(integral) < 0x1p63 ? Int64(integral) : Int64.min)
        }
    }
}

// The optional σ re-spacing of the sigma schedulers: `use_karras_sigmas`, `use_exponential_sigmas`
// (`use_beta_sigmas` needs SciPy's beta quantile and is rejected), between the interpolated σ_min and σ_max
// or the config's `sigma_min` / `sigma_max` when the file has them (LMS's Karras ramp ignores them).

import Tensors

/// Which σ ramp replaces the interpolated σ, if any.
struct SigmaRamp {
    enum Kind { case interpolated, karras, exponential }
    let kind: Kind
    /// Config overrides of the ramp ends (diffusers reads them with `hasattr(self.config, "sigma_min")`).
    let sigmaMin: Double?
    let sigmaMax: Double?

    /// Reads the `use_*_sigmas` flags; more than one, or beta sigmas, is an `unsupported` error.
    /// `karrasReadsBounds` is false for LMS, whose Karras ramp always spans the interpolated σ's.
    init(config: SchedulerConfig, scheduler: String, karrasReadsBounds: Bool) throws {
        let karras = config.useKarrasSigmas ?? false
        let exponential = config.useExponentialSigmas ?? false
        let beta = config.useBetaSigmas ?? false
        if [karras, exponential, beta].filter({ $0 }).count > 1 {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "use_karras_sigmas",
                                             value: "more than one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas",
                                             supported: "at most one of them")
        }
        if beta {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "use_beta_sigmas", value: "true",
                                             supported: "false (use_karras_sigmas or use_exponential_sigmas instead)")
        }
        kind = karras ? .karras : exponential ? .exponential : .interpolated
        let readsBounds = kind == .exponential || karrasReadsBounds
        sigmaMin = readsBounds ? config.sigmaMin : nil
        sigmaMax = readsBounds ? config.sigmaMax : nil
    }

    /// The ramp's `count` σ values from the interpolated ones (ends: last and first), nil when not re-spaced.
    func sigmas(from interpolated: [Double], count: Int) -> [Double]? {
        guard kind != .interpolated, let first = interpolated.first, let last = interpolated.last else { return nil }
        let low = sigmaMin ?? last, high = sigmaMax ?? first
        switch kind {
        case .karras: return SigmaSchedules.karras(sigmaMin: low, sigmaMax: high, count: count)
        case .exponential: return SigmaSchedules.exponential(sigmaMin: low, sigmaMax: high, count: count)
        case .interpolated: return nil
        }
    }
}

/// A string config option as one of an enum's raw values, or an `unsupported` error listing them.
func parseOption<Option: RawRepresentable & CaseIterable>(_ value: String, field: String,
                                                          scheduler: String) throws -> Option
    where Option.RawValue == String {
    guard let option = Option(rawValue: value) else {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: value,
                                         supported: Option.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return option
}

/// x̂₀ of a v-prediction model at σ: v·(−σ / √(σ² + 1)) + x / (σ² + 1), in float32.
func vPredictionOriginal(modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
    let variance = sigma * sigma + 1
    let outputScale = -sigma / variance.squareRoot()
    return modelOutput * outputScale + sample.mapped { $0 / variance }
}

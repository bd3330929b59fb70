// The optional σ re-spacing of `set_timesteps`: `use_karras_sigmas`, `use_exponential_sigmas` and DPM-Solver's
// `use_lu_lambdas` (`use_beta_sigmas` needs SciPy's beta quantile and is rejected), between the schedule's
// σ_min and σ_max or the config's `sigma_min` / `sigma_max` when the file has them (LMS's Karras ramp ignores
// them), with timesteps mapped back from σ by `_sigma_to_t`.

/// Which σ ramp replaces the interpolated σ, if any.
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
        case .karras: return SigmaSchedules.karras(sigmaMin: low, sigmaMax: high, count: count)
        case .exponential: return SigmaSchedules.exponential(sigmaMin: low, sigmaMax: high, count: count)
        case .luLambdas: return SigmaSchedules.lu(logSigmas: logSigmas, count: count)
        }
    }

    /// The step σ's and fractional timesteps: the interpolated ones unchanged, or the ramp's σ's with the
    /// timesteps `_sigma_to_t` gives them.
    func schedule(interpolated: [Double], timesteps: [Double], logSigmas: [Float],
                  count: Int) -> (sigmas: [Double], timesteps: [Double]) {
        guard let ramp = sigmas(from: interpolated, logSigmas: logSigmas, count: count) else {
            return (interpolated, timesteps)
        }
        return (ramp, ramp.map { SigmaSchedules.timestep(forSigma: $0, logSigmas: logSigmas) })
    }

    /// `set_timesteps` of the σ schedulers (Euler, Euler ancestral, LMS, Heun): the spacing's fractional
    /// timesteps, σ read there from the training σ's (`np.interp`; with `logLinear`, Euler's log-linear ramp
    /// over n + 1 values instead), then re-spaced by this ramp.
    func stepSchedule(steps: Int, spacing: TimestepSpacing, stepsOffset: Int, noiseSchedule: NoiseSchedule,
                      logLinear: Bool = false) -> (sigmas: [Double], timesteps: [Double]) {
        let trainingSigmas = SigmaSchedules.trainingSigmas(alphasCumprod: noiseSchedule.alphasCumprod)
        let timesteps = spacing.fractionalTimesteps(steps: steps, numTrainTimesteps: trainingSigmas.count,
                                                    stepsOffset: stepsOffset)
        let interpolated = logLinear
            ? SigmaSchedules.logLinear(trainingSigmas: trainingSigmas, count: steps + 1).map(Double.init)
            : SigmaSchedules.sigmas(at: timesteps, trainingSigmas: trainingSigmas)
        return schedule(interpolated: interpolated, timesteps: timesteps.map(Double.init),
                        logSigmas: SigmaSchedules.logSigmas(trainingSigmas), count: steps)
    }
}

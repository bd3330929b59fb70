// The σ schedule of diffusers' σ-based schedulers (Euler, Euler ancestral, LMS, Heun, DPM-Solver, UniPC), written
// once: the training σ_t = √((1 − ᾱ_t) / ᾱ_t), the inference σ's read at the spacing's fractional timesteps
// (np.interp) or re-spaced by a ramp (SigmaRamp.swift), and what every one of these schedulers does with them the
// same way — `init_noise_sigma`, `scale_model_input`, `add_noise`, and the step / begin index that decides which σ
// a call reads. Float32 / float64 as diffusers mixes them (torch float32 tensors, NumPy float64 arithmetic).
//
// Known ulp-level deviation: torch's CPU sqrt/log (MKL) and NumPy's float32 log (SIMD) are faithfully but not
// correctly rounded; here they are correctly rounded, so σ values can differ from diffusers' by an ulp.

import Foundation
import Tensors

/// The inference timesteps and σ's of a σ-based scheduler, and its position in them.
struct SigmaSchedule {
    /// How a noisy sample relates to σ, which decides the model-input scaling, the initial noise and `add_noise`.
    enum Form {
        /// k-diffusion's x = x₀ + σ·ε (Euler, Euler ancestral, LMS, Heun): the model sees x / √(σ² + 1).
        case varianceExploding
        /// x = α_t·x₀ + σ_t·ε at the `NoiseLevel` of σ (DPM-Solver, UniPC): the model sees x unscaled.
        case variancePreserving
    }

    let form: Form
    /// The training noise schedule.
    let noiseSchedule: NoiseSchedule
    /// σ_t of every training timestep, ascending in t (float32).
    let trainingSigmas: [Float]
    /// `np.log(trainingSigmas)`, where `_sigma_to_t` and Lu's spacing read them.
    let logSigmas: [Float]
    let spacing: TimestepSpacing
    let stepsOffset: Int
    /// The re-spacing that replaces the interpolated σ's, if any.
    let ramp: SigmaRamp
    /// The inference timesteps (`scheduler.timesteps`).
    var timesteps: [Float]
    /// The σ of each timestep plus the final one (`scheduler.sigmas`).
    private(set) var sigmas: [Float]
    /// `_step_index` and `_begin_index`.
    private(set) var index: StepIndex
    /// Whether `reset(timesteps:sigmas:)` has run (the multistep solvers refuse to step before it).
    private(set) var isSet = false

    /// The schedule `__init__` leaves: every training timestep, descending, with σ as the class keeps it (the
    /// descending training σ's plus 0 for the k-diffusion form; the ascending ones for DPM-Solver and UniPC).
    /// Reads `timestep_spacing` (default linspace) and `steps_offset`; `missingTimestepIsLast` as in `StepIndex`.
    init(config: SchedulerConfig, scheduler: String, form: Form, noiseSchedule: NoiseSchedule, ramp: SigmaRamp,
         missingTimestepIsLast: Bool = false) throws {
        self.form = form
        self.noiseSchedule = noiseSchedule
        trainingSigmas = Self.trainingSigmas(alphasCumprod: noiseSchedule.alphasCumprod)
        logSigmas = Self.logSigmas(trainingSigmas)
        spacing = try parseOption(config.timestepSpacing ?? "linspace", field: "timestep_spacing", scheduler: scheduler)
        stepsOffset = config.stepsOffset ?? 0
        self.ramp = ramp
        index = StepIndex(missingTimestepIsLast: missingTimestepIsLast)
        timesteps = (0..<trainingSigmas.count).reversed().map { Float($0) }
        sigmas = form == .varianceExploding ? trainingSigmas.reversed() + [0] : trainingSigmas
    }

    /// `num_train_timesteps`.
    var numTrainTimesteps: Int { trainingSigmas.count }

    /// `init_noise_sigma`: σ_max, or √(σ_max² + 1) for `leading` spacing, in the k-diffusion form; 1 otherwise.
    var initNoiseSigma: Float {
        guard form == .varianceExploding else { return 1 }
        let maxSigma = sigmas.max() ?? 0
        return spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }

    // MARK: - set_timesteps

    /// A new schedule; forgets the step and begin index (what `set_timesteps` does).
    mutating func reset(timesteps: [Float], sigmas: [Float]) {
        self.timesteps = timesteps
        self.sigmas = sigmas
        index.reset()
        isSet = true
    }

    /// `set_timesteps(steps)` of Euler, Euler ancestral, LMS and Heun: the spacing's fractional timesteps, σ read
    /// there from the training σ's (`np.interp`; with `logLinear`, Euler's log-linear ramp over n + 1 values
    /// instead), re-spaced by the ramp (timesteps then from `_sigma_to_t`), and `finalSigma` appended.
    mutating func setTimesteps(_ steps: Int, scheduler: String, logLinear: Bool = false, finalSigma: Float = 0) throws {
        guard steps >= 1 else { throw SchedulerError.invalidSteps(steps, reason: "\(scheduler) needs at least 1 step") }
        let fractional = spacing.fractionalTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                     stepsOffset: stepsOffset)
        let interpolated = logLinear
            ? SigmaRamp.logLinear(trainingSigmas: trainingSigmas, count: steps + 1).map(Double.init)
            : Self.sigmas(at: fractional, trainingSigmas: trainingSigmas)
        let (stepSigmas, stepTimesteps) = ramp.schedule(interpolated: interpolated,
                                                        timesteps: fractional.map(Double.init),
                                                        logSigmas: logSigmas, count: steps)
        reset(timesteps: stepTimesteps.map { Float($0) }, sigmas: stepSigmas.map { Float($0) } + [finalSigma])
    }

    /// The timesteps and σ's (without the final σ) of DPM-Solver's and UniPC's `set_timesteps`: the solver spacing
    /// up to `lastTimestep` with σ interpolated there, or the ramp over the training σ's with its `_sigma_to_t`
    /// timesteps cast to integers (rounded first when `roundsRampTimesteps`). A ramp reads `sigma_min` /
    /// `sigma_max` even from a config of another class, as diffusers keeps them.
    func solverSchedule(steps: Int, lastTimestep: Int,
                        roundsRampTimesteps: Bool) -> (timesteps: [Float], sigmas: [Float]) {
        if ramp.kind == .interpolated {
            let solverTimesteps = spacing.solverTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                          lastTimestep: lastTimestep, stepsOffset: stepsOffset)
                .map { Float($0) }
            return (solverTimesteps, Self.sigmas(at: solverTimesteps, trainingSigmas: trainingSigmas).map { Float($0) })
        }
        let ramped = ramp.schedule(interpolated: trainingSigmas.reversed().map(Double.init), timesteps: [],
                                   logSigmas: logSigmas, count: steps)
        return (SigmaRamp.integralTimesteps(ramped.timesteps, rounded: roundsRampTimesteps),
                ramped.sigmas.map { Float($0) })
    }

    // MARK: - The calls every σ scheduler makes alike

    /// `set_begin_index(index)`: img2img starts the schedule part-way.
    mutating func setBeginIndex(_ begin: Int) { index.begin = begin }

    /// `index_for_timestep(timestep)`.
    func position(of timestep: Float) -> Int? { index.position(of: timestep, in: timesteps) }

    /// `scale_model_input`: x / √(σ² + 1) at the resolved step in the k-diffusion form (a timestep outside the
    /// schedule, without a begin index, returns the sample unscaled and the following `step` throws); x otherwise.
    mutating func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        guard form == .varianceExploding, let at = index.resolve(timestep, timesteps: timesteps),
              sigmas.indices.contains(at) else { return sample }
        let sigma = sigmas[at]
        let scale = (sigma * sigma + 1).squareRoot()
        return sample.mapped { $0 / scale }
    }

    /// `add_noise(original, noise, t)`: x₀ + σ·ε, or α_t·x₀ + σ_t·ε, at the σ of the timestep's index without a
    /// begin index, else of the current step index, else of the begin index; the original outside the schedule.
    func addNoise(_ original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let at = index.begin == nil ? position(of: timestep) : index.step ?? index.begin,
              sigmas.indices.contains(at) else { return original }
        switch form {
        case .varianceExploding:
            return original + noise * sigmas[at]
        case .variancePreserving:
            let level = NoiseLevel(sigmas[at])
            return original * level.alpha + noise * level.sigma
        }
    }

    /// The index a k-diffusion `step` works at (`_init_step_index` on the first call); an `invalidTimestep` error
    /// when the timestep is not scheduled, has no σ after it, or lies below `minimum`.
    mutating func stepIndex(for timestep: Float, scheduler: String, minimum: Int = 0) throws -> Int {
        guard let at = index.resolve(timestep, timesteps: timesteps), at + 1 < sigmas.count, at >= minimum else {
            throw SchedulerError.invalidTimestep(scheduler: scheduler, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        return at
    }

    /// The index a multistep solver's `step` works at, after `checkStepArguments`; `misuse` errors as
    /// `StepIndex.resolveForStep` gives them.
    mutating func solverStepIndex(for timestep: Float, modelOutput: Tensor, sample: Tensor,
                                  scheduler: String) throws -> Int {
        try checkStepArguments(modelOutput: modelOutput, sample: sample, timestepsSet: isSet, scheduler: scheduler)
        return try index.resolveForStep(timestep, timesteps: timesteps, stepCount: sigmas.count - 1,
                                        scheduler: scheduler)
    }

    /// `_step_index += 1` at the end of `step`.
    mutating func advance() { index.step = index.step.map { $0 + 1 } }

    // MARK: - σ at training timesteps

    /// `((1 − alphas_cumprod) / alphas_cumprod) ** 0.5` in float32, ascending in t (index = training timestep).
    static func trainingSigmas(alphasCumprod: [Float]) -> [Float] {
        alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// `np.log(sigmas)` of a float32 array: float32 natural logarithms, taken in double and rounded. (NumPy's
    /// SIMD float32 log is up to 2 ulp off; this rounding and Glibc's logf give identical results on every
    /// scheduler fixture, and this one agrees with np.log on slightly more of the SD training σ's.)
    static func logSigmas(_ sigmas: [Float]) -> [Float] {
        sigmas.map { Float(log(Double($0))) }
    }

    /// `np.interp(x, xp, fp)` in float64 (xp ascending): fp[0] left of the range, fp[last] right of it, exact fp[j]
    /// at a knot, else slope · (x − xp[j]) + fp[j] with slope = (fp[j+1] − fp[j]) / (xp[j+1] − xp[j]).
    static func interpolate(_ x: [Double], xp: [Double], fp: [Double]) -> [Double] {
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
    static func sigmas(at timesteps: [Float], trainingSigmas: [Float]) -> [Double] {
        interpolate(timesteps.map(Double.init), xp: trainingSigmas.indices.map(Double.init),
                    fp: trainingSigmas.map(Double.init))
    }
}

/// What the last step denoises to (`final_sigmas_type`): σ = 0, or the schedule's smallest σ.
public enum FinalSigmaType: String, CaseIterable, Sendable {
    case zero
    case sigmaMin = "sigma_min"
}

/// One σ in the variance-preserving form of the multistep solvers: α_t = 1/√(σ² + 1), σ_t = σ·α_t
/// (`_sigma_to_alpha_sigma_t`) and the half log-SNR λ = log α_t − log σ_t, in torch's float32 operations.
struct NoiseLevel {
    let alpha: Float
    let sigma: Float
    /// log α_t − log σ_t (+∞ at σ = 0).
    let lambda: Float

    /// The level of the noise-schedule σ `sigma`.
    init(_ sigma: Float) {
        alpha = 1 / (sigma * sigma + 1).squareRoot()
        self.sigma = sigma * alpha
        lambda = log(alpha) - log(self.sigma)
    }
}

// MARK: - Step index

/// diffusers' `index_for_timestep`: the position of `timestep` in `timesteps`, taking the second match when
/// there are several, so that a schedule starting part-way (img2img) never skips a sigma. Nil when absent.
public func indexForTimestep(_ timestep: Float, in timesteps: [Float]) -> Int? {
    var first: Int?
    for (index, value) in timesteps.enumerated() where value == timestep {
        if first != nil { return index }
        first = index
    }
    return first
}

/// Where a scheduler is in its schedule (`_step_index`, `_begin_index`): set on the first `scale_model_input` /
/// `step`, then advanced. The σ schedulers hold one in their `SigmaSchedule`; LCM holds one directly.
struct StepIndex {
    /// `_step_index`: nil until the first call after `set_timesteps`.
    var step: Int?
    /// `_begin_index`: set by img2img pipelines (`set_begin_index`), nil otherwise.
    var begin: Int?
    /// Whether a timestep missing from the schedule maps to its last index (DPM-Solver, UniPC) instead of
    /// being an error (the others).
    let missingTimestepIsLast: Bool

    /// A schedule position nobody has entered yet.
    init(missingTimestepIsLast: Bool = false) {
        self.missingTimestepIsLast = missingTimestepIsLast
    }

    /// Forgets both indices (what `set_timesteps` does).
    mutating func reset() {
        step = nil
        begin = nil
    }

    /// The scheduler's `index_for_timestep(timestep)`.
    func position(of timestep: Float, in timesteps: [Float]) -> Int? {
        indexForTimestep(timestep, in: timesteps) ?? (missingTimestepIsLast ? timesteps.count - 1 : nil)
    }

    /// `_init_step_index(timestep)` when needed; the resolved step index, nil when `timestep` is not scheduled.
    mutating func resolve(_ timestep: Float, timesteps: [Float]) -> Int? {
        if step == nil { step = begin ?? position(of: timestep, in: timesteps) }
        return step
    }

    /// The index `step` works at, resolved as `resolve` does; a `misuse` error when the timestep is not in the
    /// schedule or when the index is not below `stepCount`.
    mutating func resolveForStep(_ timestep: Float, timesteps: [Float], stepCount: Int,
                                 scheduler: String) throws -> Int {
        guard let index = resolve(timestep, timesteps: timesteps) else {
            throw SchedulerError.misuse(scheduler: scheduler, reason: "timestep \(timestep) is not in the schedule")
        }
        guard index >= 0 && index < stepCount else {
            throw SchedulerError.misuse(scheduler: scheduler,
                                        reason: "step \(index) is past the last of \(stepCount) timesteps")
        }
        return index
    }
}

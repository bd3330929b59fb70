// diffusers' UniPCMultistepScheduler (arXiv:2302.04867): a UniC corrector on the current sample followed by a
// UniP predictor, B(h) = h (bh1) or eʰ − 1 (bh2), ρ coefficients from a small linear solve, float32 as torch.
// The solve (`torch.linalg.solve`, at most 3×3 here) is LU with partial pivoting in float32, then column-oriented
// substitutions dividing by the diagonal through its reciprocal: the order that reproduces torch (MKL
// getrf/getrs) bit for bit on 2×2 systems.

import Foundation
import Random
import Tensors

/// The diffusers `UniPCMultistepScheduler`, built from its config.
public final class UniPCMultistepScheduler: Scheduler {
    public static let className = "UniPCMultistepScheduler"

    /// `solver_type`: B(h) = h (bh1) or eʰ − 1 (bh2).
    public enum SolverType: String, CaseIterable, Sendable { case bh1, bh2 }

    public let config: SchedulerConfig
    public let order = 1
    /// The standard deviation of the initial noise (1: the sample is variance-preserving).
    public var initNoiseSigma: Float { sigmaSchedule.initNoiseSigma }
    /// The inference timesteps (before `setTimesteps`: all training timesteps, descending).
    public var timesteps: [Float] { sigmaSchedule.timesteps }
    /// The noise level σ of each timestep, plus the final one (`sigmas` in diffusers).
    public var sigmas: [Float] { sigmaSchedule.sigmas }
    /// The index of the next `step` (nil until the first step).
    public var stepIndex: Int? { sigmaSchedule.index.step }
    /// The index the first `step` starts at, set by img2img (`set_begin_index`).
    public var beginIndex: Int? { sigmaSchedule.index.begin }
    /// The training noise schedule (alphas_cumprod[-1] is 2⁻²⁴ under `rescale_betas_zero_snr`).
    public var schedule: NoiseSchedule { sigmaSchedule.noiseSchedule }

    let solverOrder: Int
    let solverType: SolverType
    let predictX0: Bool
    let predictionType: PredictionType
    let finalSigmasType: FinalSigmaType
    let thresholding: DynamicThresholding?
    let lowerOrderFinal: Bool
    let disableCorrector: Set<Int>
    private var sigmaSchedule: SigmaSchedule
    private var history: ModelOutputHistory
    /// x̂₀ of the last step: the converted output itself with `predict_x0`, from the converted ε otherwise.
    private var lastOriginal: StepOriginalSample?

    /// x̂₀ of the last `step`: the converted model output (`model_outputs[-1]`) with `predict_x0`; otherwise
    /// computed when read from the converted ε.
    public var predictedOriginalSample: Tensor? { lastOriginal?.value }
    private var lastSample: Tensor?
    private var thisOrder = 1

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        var solverName = config.solverType ?? "bh2"
        if ["midpoint", "heun", "logrho"].contains(solverName) { solverName = "bh2" }  // diffusers' substitution
        solverType = try parseOption(solverName, field: "solver_type", scheduler: name)
        solverOrder = config.solverOrder ?? 2
        guard (1...3).contains(solverOrder) else {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_order", value: String(solverOrder),
                                             supported: "1, 2, 3")
        }
        if let solverP = config.solverP {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_p", value: solverP, supported: "null")
        }
        predictX0 = config.predictX0 ?? true
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name)
        let ramp = try SigmaRamp(config: config, scheduler: name, hasFlowOptions: true)
        finalSigmasType = try parseOption(config.finalSigmasType ?? "zero", field: "final_sigmas_type", scheduler: name)
        thresholding = try DynamicThresholding.configured(by: config, scheduler: name)
        lowerOrderFinal = config.lowerOrderFinal ?? true
        disableCorrector = Set(config.disableCorrector ?? [])
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .variancePreserving,
                                          noiseSchedule: NoiseSchedule(config: config, scheduler: name)
                                              .withFiniteTerminalSigma(),
                                          ramp: ramp, missingTimestepIsLast: true)
        history = ModelOutputHistory(order: solverOrder)
    }

    /// `set_timesteps(num_inference_steps)`; `sigma_min` is the smallest training σ, or the ramp's last.
    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else { throw SchedulerError.invalidSteps(steps, reason: "at least 1 step is needed") }
        let ramp = sigmaSchedule.ramp.kind
        let (newTimesteps, newSigmas) = sigmaSchedule.solverSchedule(
            steps: steps, lastTimestep: sigmaSchedule.numTrainTimesteps, roundsRampTimesteps: ramp == .karras)
        let sigmaMin = ramp == .interpolated ? sigmaSchedule.trainingSigmas[0] : newSigmas[newSigmas.count - 1]
        sigmaSchedule.reset(timesteps: newTimesteps, sigmas: newSigmas + [finalSigmasType == .sigmaMin ? sigmaMin : 0])
        history = ModelOutputHistory(order: solverOrder)
        lastSample = nil
    }

    /// `set_begin_index(index)`.
    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    /// `index_for_timestep`: the second match when the timestep repeats, the last index when it is absent.
    public func indexForTimestep(_ timestep: Float) -> Int? { sigmaSchedule.position(of: timestep) }

    /// The input needs no scaling (`scale_model_input` returns the sample).
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    /// Corrects `sample` with this step's model output (UniC), then predicts the next sample (UniP).
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor,
                     generator: RandomGenerator?) throws -> Tensor {
        let name = Self.className
        let stepIndex = try sigmaSchedule.solverStepIndex(for: timestep, modelOutput: modelOutput, sample: sample,
                                                          scheduler: name)
        let converted = convertModelOutput(modelOutput, sample: sample, sigma: sigmas[stepIndex])
        lastOriginal = originalSample(converted, sample: sample, sigma: sigmas[stepIndex], isData: predictX0)
        var current = sample
        if stepIndex > 0, !disableCorrector.contains(stepIndex - 1), let lastSample {
            current = try corrector(converted, lastSample: lastSample, thisSample: sample, order: thisOrder,
                                    index: stepIndex)
        }
        history.append(converted)
        let wanted = lowerOrderFinal ? min(solverOrder, timesteps.count - stepIndex) : solverOrder
        thisOrder = min(wanted, history.lowerOrderNums + 1, stepIndex + 1)  // warm-up: only outputs that exist
        lastSample = current
        let previous = try predictor(sample: current, order: thisOrder, index: stepIndex)
        history.recordStep()
        sigmaSchedule.advance()
        return previous
    }

    /// `add_noise`: α_t·x₀ + σ_t·ε at the begin index (img2img), the current step, or the timestep's index.
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }

    // MARK: - Updates

    /// `convert_model_output`: x₀ when `predict_x0` (thresholded when configured), otherwise ε.
    private func convertModelOutput(_ output: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let level = NoiseLevel(sigma)
        guard predictX0 else {
            return predictionType.noise(modelOutput: output, sample: sample, alpha: level.alpha, sigma: level.sigma)
        }
        let x0 = predictionType.originalSample(modelOutput: output, sample: sample, alpha: level.alpha,
                                               sigma: level.sigma)
        return thresholding?.apply(x0) ?? x0
    }

    /// The converted model output `back` steps ago (0 = the newest stored).
    private func storedOutput(_ back: Int) throws -> Tensor {
        try history.output(back, scheduler: Self.className)
    }

    /// The B(h) terms shared by predictor and corrector: h·φ₁(h), B(h), and the right-hand side b of the ρ system.
    private func phiTerms(h: Float, order: Int) -> (hPhi1: Float, bH: Float, b: [Float]) {
        let hh = predictX0 ? -h : h
        let hPhi1 = expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial = 1
        let bH = solverType == .bh1 ? hh : expm1(hh)
        var b: [Float] = []
        for i in 1...order {
            b.append(hPhiK * Float(factorial) / bH)
            factorial *= i + 1
            hPhiK = hPhiK / hh - Float(1 / Double(factorial))
        }
        return (hPhi1, bH, b)
    }

    /// The Vandermonde-like matrix R[i][k] = rₖ^i of the ρ system (`torch.pow(rks, i)` rounding).
    private func rMatrix(_ rks: [Float], order: Int) -> [[Float]] {
        (0..<order).map { power in
            rks.map { r in
                switch power {
                case 0: return 1
                case 1: return r
                case 2: return r * r
                case 3: return r * r * r
                default: return pow(r, Float(power))
                }
            }
        }
    }

    /// rₖ = (λ_{s_k} − λ_{s0}) / h and Dₖ = (mₖ − m₀) / rₖ for the earlier outputs; `sigmaIndex(i)` locates s_i.
    private func differences(order: Int, h: Float, lambdaS0: Float, m0: Tensor,
                             sigmaIndex: (Int) -> Int) throws -> (rks: [Float], d1s: [Tensor]) {
        var rks: [Float] = [], d1s: [Tensor] = []
        for i in stride(from: 1, to: order, by: 1) {
            let rk = (NoiseLevel(sigmas[sigmaIndex(i)]).lambda - lambdaS0) / h
            rks.append(rk)
            d1s.append((try storedOutput(i) - m0).mapped { $0 / rk })
        }
        return (rks + [1], d1s)
    }

    /// `einsum("k,bkc...->bc...", ρ, D)`: Σₖ ρₖ·Dₖ, left to right (D is not empty).
    private func weightedSum(_ rhos: [Float], _ d1s: [Tensor]) -> Tensor {
        zip(rhos, d1s).dropFirst().reduce(d1s[0] * rhos[0]) { sum, term in sum + term.1 * term.0 }
    }

    /// The first-order part of both updates: σ_t/σ_s0·x − α_t·h·φ₁·m₀ (x₀ form) or α_t/α_s0·x − σ_t·h·φ₁·m₀.
    private func firstOrderBase(_ x: Tensor, m0: Tensor, t: NoiseLevel, s0: NoiseLevel, hPhi1: Float) -> Tensor {
        predictX0 ? x * (t.sigma / s0.sigma) - m0 * (t.alpha * hPhi1)
                  : x * (t.alpha / s0.alpha) - m0 * (t.sigma * hPhi1)
    }

    /// `multistep_uni_p_bh_update`.
    private func predictor(sample x: Tensor, order: Int, index: Int) throws -> Tensor {
        let m0 = try storedOutput(0)
        let t = NoiseLevel(sigmas[index + 1]), s0 = NoiseLevel(sigmas[index])
        let h = t.lambda - s0.lambda
        let (rks, d1s) = try differences(order: order, h: h, lambdaS0: s0.lambda, m0: m0) { index - $0 }
        let (hPhi1, bH, b) = phiTerms(h: h, order: order)
        let base = firstOrderBase(x, m0: m0, t: t, s0: s0, hPhi1: hPhi1)
        let scale = (predictX0 ? t.alpha : t.sigma) * bH
        guard !d1s.isEmpty else {
            let zeroResidual = scale * 0  // diffusers subtracts `α_t·B(h)·0`, which is NaN when B(h) is infinite
            return base.mapped { $0 - zeroResidual }
        }
        let rhos: [Float]
        if order == 2 {
            rhos = [0.5]
        } else {
            let r = rMatrix(rks, order: order)
            rhos = solveLinearSystem(r.dropLast().map { Array($0.dropLast()) }, Array(b.dropLast()))
        }
        return base - weightedSum(rhos, d1s) * scale
    }

    /// `multistep_uni_c_bh_update`: corrects `thisSample` (predicted from `lastSample`) with the new output.
    private func corrector(_ modelT: Tensor, lastSample x: Tensor, thisSample: Tensor, order: Int,
                           index: Int) throws -> Tensor {
        let m0 = try storedOutput(0)
        let t = NoiseLevel(sigmas[index]), s0 = NoiseLevel(sigmas[index - 1])
        let h = t.lambda - s0.lambda
        let (rks, d1s) = try differences(order: order, h: h, lambdaS0: s0.lambda, m0: m0) { index - ($0 + 1) }
        let (hPhi1, bH, b) = phiTerms(h: h, order: order)
        let rhos = order == 1 ? [Float(0.5)] : solveLinearSystem(rMatrix(rks, order: order), b)
        let base = firstOrderBase(x, m0: m0, t: t, s0: s0, hPhi1: hPhi1)
        let scale = (predictX0 ? t.alpha : t.sigma) * bH
        var correction = (modelT - m0) * rhos[rhos.count - 1]
        if !d1s.isEmpty {
            correction = weightedSum(Array(rhos.dropLast()), d1s) + correction
        }
        return base - correction * scale
    }
}

// MARK: - ρ coefficients

/// Solves `matrix · x = rhs` for a square row-major `matrix`; a singular matrix gives non-finite entries,
/// as LAPACK's result would.
private func solveLinearSystem(_ matrix: [[Float]], _ rhs: [Float]) -> [Float] {
    var a = matrix
    var b = rhs
    let n = b.count
    for k in 0..<n {
        var pivot = k
        for i in (k + 1)..<max(n, k + 1) where abs(a[i][k]) > abs(a[pivot][k]) { pivot = i }
        if pivot != k {
            a.swapAt(pivot, k)
            b.swapAt(pivot, k)
        }
        let reciprocal = 1 / a[k][k]
        for i in (k + 1)..<max(n, k + 1) {
            let multiplier = a[i][k] * reciprocal
            a[i][k] = multiplier
            for j in (k + 1)..<n { a[i][j] = a[i][j] - multiplier * a[k][j] }
        }
    }
    for k in 0..<n {  // forward substitution with the unit lower factor
        for i in (k + 1)..<max(n, k + 1) { b[i] = b[i] - b[k] * a[i][k] }
    }
    for k in stride(from: n - 1, through: 0, by: -1) {  // back substitution with the upper factor
        b[k] = b[k] * (1 / a[k][k])
        for i in 0..<k { b[i] = b[i] - b[k] * a[i][k] }
    }
    return b
}

// diffusers' UniPCMultistepScheduler (arXiv:2302.04867): a UniC corrector on the current sample followed by a
// UniP predictor, B(h) = h (bh1) or eʰ − 1 (bh2), ρ coefficients from a small linear solve, float32 as torch.

import Foundation
import Random
import Tensors

/// The diffusers `UniPCMultistepScheduler`, built from its config.
public final class UniPCMultistepScheduler: Scheduler {
    public static let className = "UniPCMultistepScheduler"
    public static let supportedPredictionTypes = ["epsilon", "v_prediction", "sample"]

    public let config: SchedulerConfig
    public let order = 1
    public let initNoiseSigma: Float = 1
    /// The inference timesteps (before `setTimesteps`: all training timesteps, descending).
    public private(set) var timesteps: [Float]
    /// The noise level σ of each timestep, plus the final one (`sigmas` in diffusers).
    public private(set) var sigmas: [Float]
    /// The index of the next `step` (nil until the first step).
    public private(set) var stepIndex: Int?
    /// The index the first `step` starts at, set by img2img (`set_begin_index`).
    public private(set) var beginIndex: Int?

    let solverOrder: Int
    let solverType: String
    let predictX0: Bool
    let predictionType: String
    let sigmaSpacing: MultistepSigmaSpacing
    let timestepSpacing: String
    let finalSigmasType: String
    let thresholding: (ratio: Double, maxValue: Double)?
    let lowerOrderFinal: Bool
    let disableCorrector: Set<Int>
    let stepsOffset: Int
    let sigmaMinOverride: Double?
    let sigmaMaxOverride: Double?
    /// ᾱ_t of every training timestep (`alphas_cumprod`).
    public let alphasCumprod: [Float]
    let trainSigmas: [Float]
    private var inferenceSteps: Int?
    private var modelOutputs: [Tensor?]
    private var lowerOrderNums = 0
    private var lastSample: Tensor?
    private var thisOrder = 1

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        var solverType = config.solverType ?? "bh2"
        if ["midpoint", "heun", "logrho"].contains(solverType) { solverType = "bh2" }  // diffusers' substitution
        self.solverType = try multistepChoice(solverType, field: "solver_type", supported: ["bh1", "bh2"],
                                              scheduler: name)
        solverOrder = config.solverOrder ?? 2
        guard (1...3).contains(solverOrder) else {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_order", value: String(solverOrder),
                                             supported: "1, 2, 3")
        }
        if let solverP = config.solverP {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_p", value: solverP, supported: "null")
        }
        predictX0 = config.predictX0 ?? true
        predictionType = try multistepChoice(config.predictionType ?? "epsilon", field: "prediction_type",
                                             supported: Self.supportedPredictionTypes, scheduler: name)
        sigmaSpacing = try multistepSigmaSpacing(config, scheduler: name, allowLu: false)
        timestepSpacing = try multistepChoice(config.timestepSpacing ?? "linspace", field: "timestep_spacing",
                                              supported: multistepSupportedSpacings, scheduler: name)
        finalSigmasType = try multistepChoice(config.finalSigmasType ?? "zero", field: "final_sigmas_type",
                                              supported: ["zero", "sigma_min"], scheduler: name)
        thresholding = (config.thresholding ?? false)
            ? (config.dynamicThresholdingRatio ?? 0.995, config.sampleMaxValue ?? 1.0) : nil
        lowerOrderFinal = config.lowerOrderFinal ?? true
        disableCorrector = Set(config.disableCorrector ?? [])
        stepsOffset = config.stepsOffset ?? 0
        sigmaMinOverride = config.sigmaMin
        sigmaMaxOverride = config.sigmaMax

        let schedule = MultistepBetaSchedule(config, betaStart: 0.0001, betaEnd: 0.02, schedule: "linear")
        var alphasCumprod = multistepAlphasCumprod(try multistepBetas(schedule, scheduler: name))
        if schedule.rescaleZeroTerminalSNR {
            alphasCumprod[alphasCumprod.count - 1] = 0x1p-24  // diffusers: "so the first sigma is not inf"
        }
        self.alphasCumprod = alphasCumprod
        trainSigmas = multistepTrainSigmas(alphasCumprod)
        timesteps = (0..<alphasCumprod.count).reversed().map { Float($0) }
        sigmas = trainSigmas
        modelOutputs = Array(repeating: nil, count: solverOrder)
    }

    /// `set_timesteps(num_inference_steps)`.
    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else { throw SchedulerError.invalidSteps(steps, reason: "at least 1 step is needed") }
        let trainSteps = alphasCumprod.count
        var newSigmas: [Double]
        var finalSigma: Double
        switch sigmaSpacing {
        case .karras, .exponential:
            let logSigmas = multistepLogSigmas(trainSigmas)
            let sigmaMin = sigmaMinOverride ?? Double(trainSigmas[0])
            let sigmaMax = sigmaMaxOverride ?? Double(trainSigmas[trainSigmas.count - 1])
            newSigmas = sigmaSpacing == .karras
                ? multistepKarrasSigmas(sigmaMin: sigmaMin, sigmaMax: sigmaMax, count: steps)
                : multistepExponentialSigmas(sigmaMin: sigmaMin, sigmaMax: sigmaMax, count: steps)
            let fractional = newSigmas.map { multistepSigmaToTimestep($0, logSigmas: logSigmas) }
            timesteps = sigmaSpacing == .karras ? multistepRoundedTimesteps(fractional)
                                                : multistepTruncatedTimesteps(fractional)
            finalSigma = newSigmas[newSigmas.count - 1]
        default:
            let spaced = multistepSpacedTimesteps(spacing: timestepSpacing, steps: steps, trainSteps: trainSteps,
                                                  lastTimestep: trainSteps, stepsOffset: stepsOffset)
            timesteps = spaced.map { Float($0) }
            newSigmas = multistepSigmasAtTimesteps(spaced, trainSigmas: trainSigmas).map { Double($0) }
            finalSigma = Double(trainSigmas[0])
        }
        newSigmas.append(finalSigmasType == "sigma_min" ? finalSigma : 0)
        sigmas = newSigmas.map { Float($0) }
        inferenceSteps = timesteps.count
        modelOutputs = Array(repeating: nil, count: solverOrder)
        lowerOrderNums = 0
        lastSample = nil
        stepIndex = nil
        beginIndex = nil
    }

    /// `set_begin_index(index)`.
    public func setBeginIndex(_ index: Int) {
        beginIndex = index
    }

    /// `index_for_timestep`: the second match when the timestep repeats, the last index when it is absent.
    public func indexForTimestep(_ timestep: Float) -> Int {
        multistepIndex(of: timestep, in: timesteps) ?? timesteps.count - 1
    }

    /// The input needs no scaling (`scale_model_input` returns the sample).
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sample
    }

    /// Corrects `sample` with this step's model output (UniC), then predicts the next sample (UniP).
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor,
                     generator: RandomGenerator?) throws -> Tensor {
        guard inferenceSteps != nil else {
            throw SchedulerError.misuse(scheduler: Self.className, reason: "call setTimesteps before step")
        }
        guard modelOutput.shape == sample.shape else {
            throw SchedulerError.misuse(scheduler: Self.className,
                                        reason: "model output \(modelOutput.shape) and sample \(sample.shape) differ")
        }
        let index = stepIndex ?? beginIndex ?? indexForTimestep(timestep)
        guard index >= 0 && index + 1 < sigmas.count else {
            throw SchedulerError.misuse(scheduler: Self.className,
                                        reason: "step \(index) is past the last of \(timesteps.count) timesteps")
        }
        stepIndex = index
        let converted = convertModelOutput(modelOutput, sample: sample, sigma: sigmas[index])
        var current = sample
        if index > 0, !disableCorrector.contains(index - 1), let lastSample {
            current = try corrector(converted, lastSample: lastSample, thisSample: sample, order: thisOrder,
                                    index: index)
        }
        modelOutputs.removeFirst()
        modelOutputs.append(converted)
        let wanted = lowerOrderFinal ? min(solverOrder, timesteps.count - index) : solverOrder
        thisOrder = min(wanted, lowerOrderNums + 1, index + 1)  // warm-up: only as many outputs as exist
        lastSample = current
        let previous = try predictor(sample: current, order: thisOrder, index: index)
        if lowerOrderNums < solverOrder { lowerOrderNums += 1 }
        stepIndex = index + 1
        return previous
    }

    /// `add_noise`: α_t·x₀ + σ_t·ε at the begin index (img2img), the current step, or the timestep's index.
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        let index = beginIndex == nil ? indexForTimestep(timestep) : (stepIndex ?? beginIndex ?? 0)
        let (alpha, sigma) = multistepAlphaSigma(sigmas[index])
        return multistepLinearCombination([(alpha, original), (sigma, noise)])
    }

    // MARK: - Updates

    /// `convert_model_output`: x₀ when `predict_x0` (thresholded when configured), otherwise ε.
    private func convertModelOutput(_ output: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let (alpha, sigmaT) = multistepAlphaSigma(sigma)
        if predictX0 {
            var x0: Tensor
            switch predictionType {
            case "epsilon": x0 = multistepSubtractScaledThenDivide(sample, output, scale: sigmaT, divisor: alpha)
            case "v_prediction": x0 = multistepLinearCombination([(alpha, sample), (-sigmaT, output)])
            default: x0 = output
            }
            if let thresholding {
                x0 = multistepThreshold(x0, ratio: thresholding.ratio, maxValue: thresholding.maxValue)
            }
            return x0
        }
        switch predictionType {
        case "epsilon": return output
        case "v_prediction": return multistepLinearCombination([(alpha, output), (sigmaT, sample)])
        default: return multistepSubtractScaledThenDivide(sample, output, scale: alpha, divisor: sigmaT)
        }
    }

    /// The converted model output `back` steps ago (0 = the newest stored).
    private func storedOutput(_ back: Int) throws -> Tensor {
        guard let output = modelOutputs[modelOutputs.count - 1 - back] else {
            throw SchedulerError.misuse(scheduler: Self.className, reason: "a multistep update lacks earlier outputs")
        }
        return output
    }

    /// The B(h) terms shared by predictor and corrector: h·φ₁(h), B(h), and the right-hand side b of the ρ system.
    private func phiTerms(h: Float, order: Int) -> (hPhi1: Float, bH: Float, b: [Float]) {
        let hh = predictX0 ? -h : h
        let hPhi1 = expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial = 1
        let bH = solverType == "bh1" ? hh : expm1(hh)
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
            let rk = (multistepLambda(sigmas[sigmaIndex(i)]).lambda - lambdaS0) / h
            rks.append(rk)
            d1s.append(multistepDividedDifference(try storedOutput(i), m0, divisor: rk))
        }
        return (rks + [1], d1s)
    }

    /// `einsum("k,bkc...->bc...", ρ, D)`: Σₖ ρₖ·Dₖ, left to right.
    private func weightedSum(_ rhos: [Float], _ d1s: [Tensor]) -> Tensor {
        multistepLinearCombination(Array(zip(rhos, d1s)))
    }

    /// `multistep_uni_p_bh_update`.
    private func predictor(sample x: Tensor, order: Int, index: Int) throws -> Tensor {
        let m0 = try storedOutput(0)
        let t = multistepLambda(sigmas[index + 1]), s0 = multistepLambda(sigmas[index])
        let h = t.lambda - s0.lambda
        let (rks, d1s) = try differences(order: order, h: h, lambdaS0: s0.lambda, m0: m0) { index - $0 }
        let (hPhi1, bH, b) = phiTerms(h: h, order: order)
        let base = predictX0
            ? multistepLinearCombination([(t.sigma / s0.sigma, x), (-(t.alpha * hPhi1), m0)])
            : multistepLinearCombination([(t.alpha / s0.alpha, x), (-(t.sigma * hPhi1), m0)])
        let scale = (predictX0 ? t.alpha : t.sigma) * bH
        guard !d1s.isEmpty else {
            let zeroResidual = scale * 0  // diffusers subtracts `α_t·B(h)·0`, which is NaN when B(h) is infinite
            return multistepMap(base) { $0 - zeroResidual }
        }
        let rhos: [Float]
        if order == 2 {
            rhos = [0.5]
        } else {
            let r = rMatrix(rks, order: order)
            rhos = multistepSolve(r.dropLast().map { Array($0.dropLast()) }, Array(b.dropLast()))
        }
        return multistepLinearCombination([(1, base), (-scale, weightedSum(rhos, d1s))])
    }

    /// `multistep_uni_c_bh_update`: corrects `thisSample` (predicted from `lastSample`) with the new output.
    private func corrector(_ modelT: Tensor, lastSample x: Tensor, thisSample: Tensor, order: Int,
                           index: Int) throws -> Tensor {
        let m0 = try storedOutput(0)
        let t = multistepLambda(sigmas[index]), s0 = multistepLambda(sigmas[index - 1])
        let h = t.lambda - s0.lambda
        let (rks, d1s) = try differences(order: order, h: h, lambdaS0: s0.lambda, m0: m0) { index - ($0 + 1) }
        let (hPhi1, bH, b) = phiTerms(h: h, order: order)
        let rhos = order == 1 ? [Float(0.5)] : multistepSolve(rMatrix(rks, order: order), b)
        let base = predictX0
            ? multistepLinearCombination([(t.sigma / s0.sigma, x), (-(t.alpha * hPhi1), m0)])
            : multistepLinearCombination([(t.alpha / s0.alpha, x), (-(t.sigma * hPhi1), m0)])
        let scale = (predictX0 ? t.alpha : t.sigma) * bH
        let d1t = multistepZip(modelT, m0) { $0 - $1 }
        var correction = multistepLinearCombination([(rhos[rhos.count - 1], d1t)])
        if !d1s.isEmpty {
            correction = multistepLinearCombination([(1, weightedSum(Array(rhos.dropLast()), d1s)), (1, correction)])
        }
        return multistepLinearCombination([(1, base), (-scale, correction)])
    }
}

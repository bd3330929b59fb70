// diffusers' DPMSolverMultistepScheduler: DPM-Solver / DPM-Solver++ (arXiv:2206.00927, 2211.01095), ODE and
// SDE variants, orders 1–3 in λ = log(α/σ), with the same float32 scalar arithmetic and step bookkeeping.

import Foundation
import Random
import Tensors

/// The diffusers `DPMSolverMultistepScheduler` (DPM++ 2M, 2M Karras, 2M SDE, 3M …), built from its config.
public final class DPMSolverMultistepScheduler: Scheduler {
    public static let className = "DPMSolverMultistepScheduler"
    public static let supportedAlgorithms = ["dpmsolver++", "sde-dpmsolver++", "dpmsolver", "sde-dpmsolver"]
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

    let algorithm: String
    let solverOrder: Int
    let solverType: String
    let predictionType: String
    let sigmaSpacing: MultistepSigmaSpacing
    let timestepSpacing: String
    let finalSigmasType: String
    let thresholding: (ratio: Double, maxValue: Double)?
    let lowerOrderFinal: Bool
    let eulerAtFinal: Bool
    let stepsOffset: Int
    let lambdaMinClipped: Float
    let betaSchedule: String
    /// ᾱ_t of every training timestep (`alphas_cumprod`).
    public let alphasCumprod: [Float]
    let trainSigmas: [Float]
    private var inferenceSteps: Int?
    private var modelOutputs: [Tensor?]
    private var lowerOrderNums = 0

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        var algorithm = config.algorithmType ?? "dpmsolver++"
        if algorithm == "deis" { algorithm = "dpmsolver++" }  // diffusers' own substitution
        self.algorithm = try multistepChoice(algorithm, field: "algorithm_type",
                                             supported: Self.supportedAlgorithms, scheduler: name)
        var solverType = config.solverType ?? "midpoint"
        if ["logrho", "bh1", "bh2"].contains(solverType) { solverType = "midpoint" }  // diffusers' substitution
        self.solverType = try multistepChoice(solverType, field: "solver_type", supported: ["midpoint", "heun"],
                                              scheduler: name)
        solverOrder = config.solverOrder ?? 2
        let maxOrder = algorithm == "sde-dpmsolver" ? 2 : 3  // diffusers has no third-order sde-dpmsolver update
        guard (1...maxOrder).contains(solverOrder) else {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_order", value: String(solverOrder),
                                             supported: (1...maxOrder).map(String.init).joined(separator: ", ")
                                                 + (maxOrder == 2 ? " for sde-dpmsolver" : ""))
        }
        predictionType = try multistepChoice(config.predictionType ?? "epsilon", field: "prediction_type",
                                             supported: Self.supportedPredictionTypes, scheduler: name)
        if let variance = config.varianceType {
            throw SchedulerError.unsupported(scheduler: name, field: "variance_type", value: variance,
                                             supported: "null")
        }
        sigmaSpacing = try multistepSigmaSpacing(config, scheduler: name, allowLu: true)
        timestepSpacing = try multistepChoice(config.timestepSpacing ?? "linspace", field: "timestep_spacing",
                                              supported: multistepSupportedSpacings, scheduler: name)
        finalSigmasType = try multistepChoice(config.finalSigmasType ?? "zero", field: "final_sigmas_type",
                                              supported: ["zero", "sigma_min"], scheduler: name)
        if !algorithm.hasSuffix("++") && finalSigmasType == "zero" {
            throw SchedulerError.unsupported(scheduler: name, field: "final_sigmas_type", value: "zero",
                                             supported: "sigma_min for algorithm_type \(algorithm)")
        }
        thresholding = (config.thresholding ?? false)
            ? (config.dynamicThresholdingRatio ?? 0.995, config.sampleMaxValue ?? 1.0) : nil
        lowerOrderFinal = config.lowerOrderFinal ?? true
        eulerAtFinal = config.eulerAtFinal ?? false
        stepsOffset = config.stepsOffset ?? 0
        lambdaMinClipped = Float(config.lambdaMinClipped ?? -Double.infinity)

        let schedule = MultistepBetaSchedule(config, betaStart: 0.0001, betaEnd: 0.02, schedule: "linear")
        betaSchedule = schedule.schedule
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
        let logSigmas = multistepLogSigmas(trainSigmas)
        var newSigmas: [Double]
        switch sigmaSpacing {
        case .timesteps:
            let spaced = multistepSpacedTimesteps(spacing: timestepSpacing, steps: steps, trainSteps: trainSteps,
                                                  lastTimestep: trainSteps - clippedIndex(),
                                                  stepsOffset: stepsOffset)
            timesteps = spaced.map { Float($0) }
            newSigmas = multistepSigmasAtTimesteps(spaced, trainSigmas: trainSigmas).map { Double($0) }
        case .karras, .luLambdas, .exponential:
            newSigmas = spacedSigmas(steps, logSigmas: logSigmas)
            let fractional = newSigmas.map { multistepSigmaToTimestep($0, logSigmas: logSigmas) }
            let rounds = sigmaSpacing != .exponential && betaSchedule != "squaredcos_cap_v2"
            timesteps = rounds ? multistepRoundedTimesteps(fractional) : multistepTruncatedTimesteps(fractional)
        }
        newSigmas.append(finalSigmasType == "sigma_min" ? Double(trainSigmas[0]) : 0)
        sigmas = newSigmas.map { Float($0) }
        inferenceSteps = timesteps.count
        modelOutputs = Array(repeating: nil, count: solverOrder)
        lowerOrderNums = 0
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

    /// One multistep update; the SDE variants draw `randn(model_output.shape)` from `generator` every step.
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
        let count = timesteps.count
        let finalIsFirstOrder = index == count - 1
            && (eulerAtFinal || (lowerOrderFinal && count < 15) || finalSigmasType == "zero")
        let secondToLastIsSecondOrder = index == count - 2 && lowerOrderFinal && count < 15

        let converted = convertModelOutput(modelOutput, sample: sample, sigma: sigmas[index])
        modelOutputs.removeFirst()
        modelOutputs.append(converted)

        var noise: Tensor?
        if algorithm.hasPrefix("sde") {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: Self.className) }
            noise = generator.randn(modelOutput.shape)
        }
        let previous: Tensor
        let history = min(lowerOrderNums, index)  // earlier sigmas available to a multistep update
        if solverOrder == 1 || history < 1 || finalIsFirstOrder {
            previous = firstOrderUpdate(converted, sample: sample, noise: noise, index: index)
        } else if solverOrder == 2 || history < 2 || secondToLastIsSecondOrder {
            previous = try secondOrderUpdate(sample: sample, noise: noise, index: index)
        } else {
            previous = try thirdOrderUpdate(sample: sample, noise: noise, index: index)
        }
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

    // MARK: - Schedule

    /// DPM-Solver's λ clipping: how many of the smallest λ lie below `lambda_min_clipped` (torch.searchsorted).
    private func clippedIndex() -> Int {
        let ascendingLambdas = alphasCumprod.reversed().map { log($0.squareRoot()) - log((1 - $0).squareRoot()) }
        var low = 0, high = ascendingLambdas.count
        while low < high {
            let middle = low + (high - low) / 2
            if !(ascendingLambdas[middle] >= lambdaMinClipped) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The σ schedule of the Karras / Lu / exponential spacings, without the final sigma. `sigma_min` /
    /// `sigma_max` are not DPM-Solver parameters, but diffusers keeps them from a foreign config and uses them.
    private func spacedSigmas(_ steps: Int, logSigmas: [Float]) -> [Double] {
        let sigmaMin = config.sigmaMin ?? Double(trainSigmas[0])
        let sigmaMax = config.sigmaMax ?? Double(trainSigmas[trainSigmas.count - 1])
        switch sigmaSpacing {
        case .karras: return multistepKarrasSigmas(sigmaMin: sigmaMin, sigmaMax: sigmaMax, count: steps)
        case .exponential: return multistepExponentialSigmas(sigmaMin: sigmaMin, sigmaMax: sigmaMax, count: steps)
        default: return multistepLuSigmas(logSigmas: logSigmas, count: steps)
        }
    }

    // MARK: - Updates

    /// `convert_model_output`: x₀ for DPM-Solver++ (thresholded when configured), ε for DPM-Solver.
    private func convertModelOutput(_ output: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let (alpha, sigmaT) = multistepAlphaSigma(sigma)
        if algorithm.hasSuffix("++") {
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
        var epsilon: Tensor
        switch predictionType {
        case "epsilon": epsilon = output
        case "v_prediction": epsilon = multistepLinearCombination([(alpha, output), (sigmaT, sample)])
        default: epsilon = multistepSubtractScaledThenDivide(sample, output, scale: alpha, divisor: sigmaT)
        }
        if let thresholding {
            var x0 = multistepSubtractScaledThenDivide(sample, epsilon, scale: sigmaT, divisor: alpha)
            x0 = multistepThreshold(x0, ratio: thresholding.ratio, maxValue: thresholding.maxValue)
            epsilon = multistepSubtractScaledThenDivide(sample, x0, scale: alpha, divisor: sigmaT)
        }
        return epsilon
    }

    /// The converted model output `back` steps ago (0 = this step's).
    private func storedOutput(_ back: Int) throws -> Tensor {
        guard let output = modelOutputs[modelOutputs.count - 1 - back] else {
            throw SchedulerError.misuse(scheduler: Self.className, reason: "a multistep update lacks earlier outputs")
        }
        return output
    }

    /// `dpm_solver_first_order_update` (DDIM-equivalent, plus the SDE noise term).
    private func firstOrderUpdate(_ m0: Tensor, sample: Tensor, noise: Tensor?, index: Int) -> Tensor {
        let t = multistepLambda(sigmas[index + 1]), s = multistepLambda(sigmas[index])
        let h = t.lambda - s.lambda
        switch algorithm {
        case "dpmsolver++":
            return multistepLinearCombination([(t.sigma / s.sigma, sample), (-(t.alpha * (exp(-h) - 1)), m0)])
        case "dpmsolver":
            return multistepLinearCombination([(t.alpha / s.alpha, sample), (-(t.sigma * (exp(h) - 1)), m0)])
        case "sde-dpmsolver++":
            return multistepLinearCombination([
                (t.sigma / s.sigma * exp(-h), sample), (t.alpha * (1 - exp(-2 * h)), m0),
                (t.sigma * (1 - exp(-2 * h)).squareRoot(), noise!),
            ])
        default:  // sde-dpmsolver
            return multistepLinearCombination([
                (t.alpha / s.alpha, sample), (-(2 * (t.sigma * (exp(h) - 1))), m0),
                (t.sigma * (exp(2 * h) - 1).squareRoot(), noise!),
            ])
        }
    }

    /// `multistep_dpm_solver_second_order_update` (midpoint or Heun form).
    private func secondOrderUpdate(sample: Tensor, noise: Tensor?, index: Int) throws -> Tensor {
        let t = multistepLambda(sigmas[index + 1]), s0 = multistepLambda(sigmas[index])
        let s1 = multistepLambda(sigmas[index - 1])
        let m0 = try storedOutput(0), m1 = try storedOutput(1)
        let h = t.lambda - s0.lambda, h0 = s0.lambda - s1.lambda
        let r0 = h0 / h
        let d1 = multistepScaledDifference(m0, m1, scale: 1 / r0)
        let midpoint = solverType == "midpoint"
        switch algorithm {
        case "dpmsolver++":
            let c0 = t.alpha * (exp(-h) - 1)
            let c1 = midpoint ? -(0.5 * c0) : t.alpha * ((exp(-h) - 1) / h + 1)
            return multistepLinearCombination([(t.sigma / s0.sigma, sample), (-c0, m0), (c1, d1)])
        case "dpmsolver":
            let c0 = t.sigma * (exp(h) - 1)
            let c1 = midpoint ? 0.5 * c0 : t.sigma * ((exp(h) - 1) / h - 1)
            return multistepLinearCombination([(t.alpha / s0.alpha, sample), (-c0, m0), (-c1, d1)])
        case "sde-dpmsolver++":
            let c0 = t.alpha * (1 - exp(-2 * h))
            let c1 = midpoint ? 0.5 * c0 : t.alpha * ((1 - exp(-2 * h)) / (-2 * h) + 1)
            return multistepLinearCombination([
                (t.sigma / s0.sigma * exp(-h), sample), (c0, m0), (c1, d1),
                (t.sigma * (1 - exp(-2 * h)).squareRoot(), noise!),
            ])
        default:  // sde-dpmsolver
            let c0 = 2 * (t.sigma * (exp(h) - 1))
            let c1 = midpoint ? t.sigma * (exp(h) - 1) : 2 * (t.sigma * ((exp(h) - 1) / h - 1))
            return multistepLinearCombination([
                (t.alpha / s0.alpha, sample), (-c0, m0), (-c1, d1),
                (t.sigma * (exp(2 * h) - 1).squareRoot(), noise!),
            ])
        }
    }

    /// `multistep_dpm_solver_third_order_update`.
    private func thirdOrderUpdate(sample: Tensor, noise: Tensor?, index: Int) throws -> Tensor {
        let t = multistepLambda(sigmas[index + 1]), s0 = multistepLambda(sigmas[index])
        let s1 = multistepLambda(sigmas[index - 1]), s2 = multistepLambda(sigmas[index - 2])
        let m0 = try storedOutput(0), m1 = try storedOutput(1), m2 = try storedOutput(2)
        let h = t.lambda - s0.lambda, h0 = s0.lambda - s1.lambda, h1 = s1.lambda - s2.lambda
        let r0 = h0 / h, r1 = h1 / h
        let d10 = multistepScaledDifference(m0, m1, scale: 1 / r0)
        let d11 = multistepScaledDifference(m1, m2, scale: 1 / r1)
        let d1 = multistepZip(d10, d11) { a, b in a + r0 / (r0 + r1) * (a - b) }
        let d2 = multistepScaledDifference(d10, d11, scale: 1 / (r0 + r1))
        switch algorithm {
        case "dpmsolver++":
            return multistepLinearCombination([
                (t.sigma / s0.sigma, sample), (-(t.alpha * (exp(-h) - 1)), m0),
                (t.alpha * ((exp(-h) - 1) / h + 1), d1), (-(t.alpha * ((exp(-h) - 1 + h) / (h * h) - 0.5)), d2),
            ])
        case "dpmsolver":
            return multistepLinearCombination([
                (t.alpha / s0.alpha, sample), (-(t.sigma * (exp(h) - 1)), m0),
                (-(t.sigma * ((exp(h) - 1) / h - 1)), d1), (-(t.sigma * ((exp(h) - 1 - h) / (h * h) - 0.5)), d2),
            ])
        default:  // sde-dpmsolver++ (validated in init)
            return multistepLinearCombination([
                (t.sigma / s0.sigma * exp(-h), sample), (t.alpha * (1 - exp(-2 * h)), m0),
                (t.alpha * ((1 - exp(-2 * h)) / (-2 * h) + 1), d1),
                (t.alpha * ((1 - exp(-2 * h) - 2 * h) / ((2 * h) * (2 * h)) - 0.5), d2),
                (t.sigma * (1 - exp(-2 * h)).squareRoot(), noise!),
            ])
        }
    }
}

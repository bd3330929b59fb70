// diffusers' DPMSolverMultistepScheduler: DPM-Solver / DPM-Solver++ (arXiv:2206.00927, 2211.01095), ODE and
// SDE variants, orders 1–3 in λ = log(α/σ), with the same float32 scalar arithmetic and step bookkeeping.

import Foundation
import Random
import Tensors

/// The diffusers `DPMSolverMultistepScheduler` (DPM++ 2M, 2M Karras, 2M SDE, 3M …), built from its config.
public final class DPMSolverMultistepScheduler: Scheduler {
    public static let className = "DPMSolverMultistepScheduler"

    /// `algorithm_type`: the ++ variants convert the model output to x₀, the others to ε; `sde-` adds noise.
    public enum Algorithm: String, CaseIterable, Sendable {
        case dpmSolverPlusPlus = "dpmsolver++", sdeDPMSolverPlusPlus = "sde-dpmsolver++"
        case dpmSolver = "dpmsolver", sdeDPMSolver = "sde-dpmsolver"

        /// DPM-Solver++ (data prediction) rather than DPM-Solver (noise prediction).
        var predictsData: Bool { self == .dpmSolverPlusPlus || self == .sdeDPMSolverPlusPlus }
        /// The SDE variants, which draw noise at every step.
        var isStochastic: Bool { self == .sdeDPMSolverPlusPlus || self == .sdeDPMSolver }
    }

    /// `solver_type`: the form of the second-order update.
    public enum SolverType: String, CaseIterable, Sendable { case midpoint, heun }

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

    let algorithm: Algorithm
    let solverOrder: Int
    let solverType: SolverType
    let predictionType: PredictionType
    let finalSigmasType: FinalSigmaType
    let thresholding: DynamicThresholding?
    let lowerOrderFinal: Bool
    let eulerAtFinal: Bool
    let lambdaMinClipped: Float
    /// Whether Karras / Lu timesteps are rounded before the cast (not for `squaredcos_cap_v2`, as diffusers).
    let roundsRampTimesteps: Bool
    private var sigmaSchedule: SigmaSchedule
    private var history: ModelOutputHistory
    /// x̂₀ of the last step: the converted output itself for DPM-Solver++, from the converted ε otherwise.
    private var lastOriginal: StepOriginalSample?

    /// x̂₀ of the last `step`: DPM-Solver++'s converted model output (`model_outputs[-1]`); for DPM-Solver,
    /// computed when read from its converted ε.
    public var predictedOriginalSample: Tensor? { lastOriginal?.value }

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        var algorithmName = config.algorithmType ?? "dpmsolver++"
        if algorithmName == "deis" { algorithmName = "dpmsolver++" }  // diffusers' own substitution
        algorithm = try parseOption(algorithmName, field: "algorithm_type", scheduler: name)
        var solverName = config.solverType ?? "midpoint"
        if ["logrho", "bh1", "bh2"].contains(solverName) { solverName = "midpoint" }  // diffusers' substitution
        solverType = try parseOption(solverName, field: "solver_type", scheduler: name)
        solverOrder = config.solverOrder ?? 2
        let maxOrder = algorithm == .sdeDPMSolver ? 2 : 3  // diffusers has no third-order sde-dpmsolver update
        guard (1...maxOrder).contains(solverOrder) else {
            throw SchedulerError.unsupported(scheduler: name, field: "solver_order", value: String(solverOrder),
                                             supported: (1...maxOrder).map(String.init).joined(separator: ", ")
                                                 + (maxOrder == 2 ? " for sde-dpmsolver" : ""))
        }
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name)
        if let variance = config.varianceType {
            throw SchedulerError.unsupported(scheduler: name, field: "variance_type", value: variance,
                                             supported: "null")
        }
        let ramp = try SigmaRamp(config: config, scheduler: name, allowsLuLambdas: true, hasFlowOptions: true)
        finalSigmasType = try parseOption(config.finalSigmasType ?? "zero", field: "final_sigmas_type", scheduler: name)
        if !algorithm.predictsData && finalSigmasType == .zero {
            throw SchedulerError.unsupported(scheduler: name, field: "final_sigmas_type", value: "zero",
                                             supported: "sigma_min for algorithm_type \(algorithm.rawValue)")
        }
        thresholding = try DynamicThresholding.configured(by: config, scheduler: name)
        lowerOrderFinal = config.lowerOrderFinal ?? true
        eulerAtFinal = config.eulerAtFinal ?? false
        lambdaMinClipped = Float(config.lambdaMinClipped ?? -Double.infinity)
        roundsRampTimesteps = config.betaSchedule != BetaSchedule.squaredcosCapV2.rawValue
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .variancePreserving,
                                          noiseSchedule: NoiseSchedule(config: config, scheduler: name)
                                              .withFiniteTerminalSigma(),
                                          ramp: ramp, missingTimestepIsLast: true)
        history = ModelOutputHistory(order: solverOrder)
    }

    /// `set_timesteps(num_inference_steps)`.
    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else { throw SchedulerError.invalidSteps(steps, reason: "at least 1 step is needed") }
        let (newTimesteps, newSigmas) = sigmaSchedule.solverSchedule(
            steps: steps, lastTimestep: sigmaSchedule.numTrainTimesteps - clippedIndex(),
            roundsRampTimesteps: sigmaSchedule.ramp.kind != .exponential && roundsRampTimesteps)
        let last = finalSigmasType == .sigmaMin ? sigmaSchedule.trainingSigmas[0] : 0
        sigmaSchedule.reset(timesteps: newTimesteps, sigmas: newSigmas + [last])
        history = ModelOutputHistory(order: solverOrder)
    }

    /// `set_begin_index(index)`.
    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    /// `index_for_timestep`: the second match when the timestep repeats, the last index when it is absent.
    public func indexForTimestep(_ timestep: Float) -> Int? { sigmaSchedule.position(of: timestep) }

    /// The input needs no scaling (`scale_model_input` returns the sample).
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    /// One multistep update; the SDE variants draw `randn(model_output.shape)` from `generator` every step.
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor,
                     generator: RandomGenerator?) throws -> Tensor {
        let name = Self.className
        let stepIndex = try sigmaSchedule.solverStepIndex(for: timestep, modelOutput: modelOutput, sample: sample,
                                                          scheduler: name)
        let count = timesteps.count
        let finalIsFirstOrder = stepIndex == count - 1
            && (eulerAtFinal || (lowerOrderFinal && count < 15) || finalSigmasType == .zero)
        let secondToLastIsSecondOrder = stepIndex == count - 2 && lowerOrderFinal && count < 15

        let converted = convertModelOutput(modelOutput, sample: sample, sigma: sigmas[stepIndex])
        history.append(converted)
        lastOriginal = originalSample(converted, sample: sample, sigma: sigmas[stepIndex],
                                      isData: algorithm.predictsData)

        var noise: Tensor?
        if algorithm.isStochastic {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
            noise = generator.randn(modelOutput.shape)
        }
        let previous: Tensor
        let available = min(history.lowerOrderNums, stepIndex)  // earlier sigmas available to a multistep update
        if solverOrder == 1 || available < 1 || finalIsFirstOrder {
            previous = firstOrderUpdate(converted, sample: sample, noise: noise, index: stepIndex)
        } else if solverOrder == 2 || available < 2 || secondToLastIsSecondOrder {
            previous = try secondOrderUpdate(sample: sample, noise: noise, index: stepIndex)
        } else {
            previous = try thirdOrderUpdate(sample: sample, noise: noise, index: stepIndex)
        }
        history.recordStep()
        sigmaSchedule.advance()
        return previous
    }

    /// `add_noise`: α_t·x₀ + σ_t·ε at the begin index (img2img), the current step, or the timestep's index.
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }

    // MARK: - Schedule

    /// DPM-Solver's λ clipping: how many of the smallest λ lie below `lambda_min_clipped` (torch.searchsorted).
    private func clippedIndex() -> Int {
        let ascendingLambdas = schedule.alphasCumprod.reversed()
            .map { log($0.squareRoot()) - log((1 - $0).squareRoot()) }
        var low = 0, high = ascendingLambdas.count
        while low < high {
            let middle = low + (high - low) / 2
            if !(ascendingLambdas[middle] >= lambdaMinClipped) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: - Updates

    /// `convert_model_output`: x₀ for DPM-Solver++ (thresholded when configured), ε for DPM-Solver.
    private func convertModelOutput(_ output: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let level = NoiseLevel(sigma)
        if algorithm.predictsData {
            let x0 = predictionType.originalSample(modelOutput: output, sample: sample, alpha: level.alpha,
                                                   sigma: level.sigma)
            return thresholding?.apply(x0) ?? x0
        }
        let epsilon = predictionType.noise(modelOutput: output, sample: sample, alpha: level.alpha, sigma: level.sigma)
        guard let thresholding else { return epsilon }
        let x0 = thresholding.apply(PredictionType.epsilon.originalSample(
            modelOutput: epsilon, sample: sample, alpha: level.alpha, sigma: level.sigma))
        return PredictionType.sample.noise(modelOutput: x0, sample: sample, alpha: level.alpha, sigma: level.sigma)
    }

    /// The converted model output `back` steps ago (0 = this step's).
    private func storedOutput(_ back: Int) throws -> Tensor {
        try history.output(back, scheduler: Self.className)
    }

    /// `dpm_solver_first_order_update` (DDIM-equivalent, plus the SDE noise term).
    private func firstOrderUpdate(_ m0: Tensor, sample: Tensor, noise: Tensor?, index: Int) -> Tensor {
        let t = NoiseLevel(sigmas[index + 1]), s = NoiseLevel(sigmas[index])
        let h = t.lambda - s.lambda
        switch algorithm {
        case .dpmSolverPlusPlus:
            return sample * (t.sigma / s.sigma) - m0 * (t.alpha * (exp(-h) - 1))
        case .dpmSolver:
            return sample * (t.alpha / s.alpha) - m0 * (t.sigma * (exp(h) - 1))
        case .sdeDPMSolverPlusPlus:
            let noiseScale = t.sigma * (1 - exp(-2 * h)).squareRoot()
            return sample * (t.sigma / s.sigma * exp(-h)) + m0 * (t.alpha * (1 - exp(-2 * h))) + noise! * noiseScale
        case .sdeDPMSolver:
            let noiseScale = t.sigma * (exp(2 * h) - 1).squareRoot()
            return sample * (t.alpha / s.alpha) - m0 * (2 * (t.sigma * (exp(h) - 1))) + noise! * noiseScale
        }
    }

    /// `multistep_dpm_solver_second_order_update` (midpoint or Heun form).
    private func secondOrderUpdate(sample: Tensor, noise: Tensor?, index: Int) throws -> Tensor {
        let t = NoiseLevel(sigmas[index + 1]), s0 = NoiseLevel(sigmas[index]), s1 = NoiseLevel(sigmas[index - 1])
        let m0 = try storedOutput(0), m1 = try storedOutput(1)
        let h = t.lambda - s0.lambda, h0 = s0.lambda - s1.lambda
        let r0 = h0 / h
        let d1 = (m0 - m1) * (1 / r0)
        let midpoint = solverType == .midpoint
        switch algorithm {
        case .dpmSolverPlusPlus:
            let c0 = t.alpha * (exp(-h) - 1)
            let c1 = midpoint ? -(0.5 * c0) : t.alpha * ((exp(-h) - 1) / h + 1)
            return sample * (t.sigma / s0.sigma) - m0 * c0 + d1 * c1
        case .dpmSolver:
            let c0 = t.sigma * (exp(h) - 1)
            let c1 = midpoint ? 0.5 * c0 : t.sigma * ((exp(h) - 1) / h - 1)
            return sample * (t.alpha / s0.alpha) - m0 * c0 - d1 * c1
        case .sdeDPMSolverPlusPlus:
            let c0 = t.alpha * (1 - exp(-2 * h))
            let c1 = midpoint ? 0.5 * c0 : t.alpha * ((1 - exp(-2 * h)) / (-2 * h) + 1)
            let noiseScale = t.sigma * (1 - exp(-2 * h)).squareRoot()
            return sample * (t.sigma / s0.sigma * exp(-h)) + m0 * c0 + d1 * c1 + noise! * noiseScale
        case .sdeDPMSolver:
            let c0 = 2 * (t.sigma * (exp(h) - 1))
            let c1 = midpoint ? t.sigma * (exp(h) - 1) : 2 * (t.sigma * ((exp(h) - 1) / h - 1))
            let noiseScale = t.sigma * (exp(2 * h) - 1).squareRoot()
            return sample * (t.alpha / s0.alpha) - m0 * c0 - d1 * c1 + noise! * noiseScale
        }
    }

    /// `multistep_dpm_solver_third_order_update`.
    private func thirdOrderUpdate(sample: Tensor, noise: Tensor?, index: Int) throws -> Tensor {
        let t = NoiseLevel(sigmas[index + 1]), s0 = NoiseLevel(sigmas[index])
        let s1 = NoiseLevel(sigmas[index - 1]), s2 = NoiseLevel(sigmas[index - 2])
        let m0 = try storedOutput(0), m1 = try storedOutput(1), m2 = try storedOutput(2)
        let h = t.lambda - s0.lambda, h0 = s0.lambda - s1.lambda, h1 = s1.lambda - s2.lambda
        let r0 = h0 / h, r1 = h1 / h
        let d10 = (m0 - m1) * (1 / r0)
        let d11 = (m1 - m2) * (1 / r1)
        let d1 = d10 + (d10 - d11) * (r0 / (r0 + r1))
        let d2 = (d10 - d11) * (1 / (r0 + r1))
        switch algorithm {
        case .dpmSolverPlusPlus:
            let c0 = t.alpha * (exp(-h) - 1), c1 = t.alpha * ((exp(-h) - 1) / h + 1)
            let c2 = t.alpha * ((exp(-h) - 1 + h) / (h * h) - 0.5)
            return sample * (t.sigma / s0.sigma) - m0 * c0 + d1 * c1 - d2 * c2
        case .dpmSolver:
            let c0 = t.sigma * (exp(h) - 1), c1 = t.sigma * ((exp(h) - 1) / h - 1)
            let c2 = t.sigma * ((exp(h) - 1 - h) / (h * h) - 0.5)
            return sample * (t.alpha / s0.alpha) - m0 * c0 - d1 * c1 - d2 * c2
        case .sdeDPMSolverPlusPlus, .sdeDPMSolver:  // sde-dpmsolver is limited to order 2 in init
            let c0 = t.alpha * (1 - exp(-2 * h)), c1 = t.alpha * ((1 - exp(-2 * h)) / (-2 * h) + 1)
            let c2 = t.alpha * ((1 - exp(-2 * h) - 2 * h) / ((2 * h) * (2 * h)) - 0.5)
            let noiseScale = t.sigma * (1 - exp(-2 * h)).squareRoot()
            return sample * (t.sigma / s0.sigma * exp(-h)) + m0 * c0 + d1 * c1 + d2 * c2 + noise! * noiseScale
        }
    }
}

// diffusers' `LMSDiscreteScheduler` (k-diffusion's sample_lms): x ← x + Σ_j c_j·d_{i−j} over the last (up to 4)
// derivatives d = (x − x̂₀)/σ, where c_j = ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ integrates the Lagrange basis polynomial
// over the recent σ's. diffusers integrates with scipy.integrate.quad (QUADPACK QAGS, epsrel 1e-4), evaluating the
// integrand in float32 (the σ's are torch float32 scalars); the integrand is a polynomial of degree ≤ 3, so QAGS
// accepts its first 21-point Gauss–Kronrod estimate, and that rule with a float32 integrand gives the same double.

import Foundation
import Random
import Tensors

/// The diffusers `LMSDiscreteScheduler`.
public final class LMSDiscreteScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "LMSDiscreteScheduler"
    public let config: SchedulerConfig
    public let order = 1
    /// The inference timesteps (`scheduler.timesteps`).
    public var timesteps: [Float] { sigmaSchedule.timesteps }
    /// The noise levels of the schedule plus the final 0 (`scheduler.sigmas`, float32).
    public var sigmas: [Float] { sigmaSchedule.sigmas }
    /// The training noise schedule.
    public var schedule: NoiseSchedule { sigmaSchedule.noiseSchedule }
    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { sigmaSchedule.initNoiseSigma }
    /// `order` of `step`: how many past derivatives the multistep update combines (diffusers' default 4).
    public var multistepOrder = 4

    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let predictionType: PredictionType
    private var sigmaSchedule: SigmaSchedule
    /// `derivatives`: the most recent first-order derivatives, oldest first.
    private var derivatives: [Tensor] = []

    /// Builds the scheduler from a config, with `LMSDiscreteScheduler.__init__`'s defaults for absent fields;
    /// like diffusers, it starts with the full `num_train_timesteps` schedule set. Its Karras ramp ignores
    /// `sigma_min` / `sigma_max`.
    public init(config: SchedulerConfig) throws {
        let name = LMSDiscreteScheduler.className
        self.config = config
        let noiseSchedule = try NoiseSchedule(config: config, scheduler: name, readsZeroSNRRescale: false)
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        let ramp = try SigmaRamp(config: config, scheduler: name, karrasReadsBounds: false)
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .varianceExploding,
                                          noiseSchedule: noiseSchedule, ramp: ramp)
        try setTimesteps(sigmaSchedule.numTrainTimesteps)
    }

    public func setTimesteps(_ steps: Int) throws {
        try sigmaSchedule.setTimesteps(steps, scheduler: LMSDiscreteScheduler.className)
        derivatives = []
    }

    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = LMSDiscreteScheduler.className
        let stepIndex = try sigmaSchedule.stepIndex(for: timestep, scheduler: name)
        let sigma = sigmas[stepIndex]
        let predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigma)
        predictedOriginalSample = predictedOriginal
        derivatives.append((sample - predictedOriginal).mapped { $0 / sigma })
        if derivatives.count > multistepOrder { derivatives.removeFirst() }
        // Like diffusers, the coefficients use min(step + 1, order) σ's even when fewer derivatives are stored
        // (img2img starts part-way); zip then uses only the stored ones.
        let order = min(stepIndex + 1, multistepOrder)
        let coefficients = (0..<order).map {
            Self.coefficient(order: order, stepIndex: stepIndex, currentOrder: $0, sigmas: sigmas)
        }
        var sum: Tensor?
        for (coefficient, derivative) in zip(coefficients, derivatives.reversed()) {
            let term = derivative * Float(coefficient)
            sum = sum.map { $0 + term } ?? term
        }
        sigmaSchedule.advance()
        return sum.map { sample + $0 } ?? sample
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }

    // MARK: - Coefficients

    /// Kronrod abscissae on [−1, 1] (positive half; QUADPACK dqk21 `xgk`, the last is the centre).
    private static let kronrodNodes: [Double] = [
        0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
        0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
        0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
        0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
        0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
        0.0,
    ]
    /// Kronrod weights (QUADPACK dqk21 `wgk`), matching `kronrodNodes`.
    private static let kronrodWeights: [Double] = [
        0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
        0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
        0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
        0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
        0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
        0.149445554002916905664936468389821,
    ]

    /// `get_lms_coefficient(order, t, current_order)` for the step at `stepIndex`.
    private static func coefficient(order: Int, stepIndex t: Int, currentOrder: Int, sigmas: [Float]) -> Double {
        // The Lagrange basis polynomial, evaluated as diffusers does: τ cast to float32, float32 products.
        func basis(_ tau: Double) -> Double {
            var product: Float?
            let x = Float(tau)
            for k in 0..<order where k != currentOrder {
                let factor = (x - sigmas[t - k]) / (sigmas[t - currentOrder] - sigmas[t - k])
                product = product.map { $0 * factor } ?? factor
            }
            return Double(product ?? 1)
        }
        return gaussKronrod21(basis, from: Double(sigmas[t]), to: Double(sigmas[t + 1]))
    }

    /// QUADPACK's dqk21 estimate of ∫_a^b f, summed in its order (Gauss nodes first, then the Kronrod ones).
    private static func gaussKronrod21(_ f: (Double) -> Double, from a: Double, to b: Double) -> Double {
        let centre = 0.5 * (a + b), halfLength = 0.5 * (b - a)
        var sum = kronrodWeights[10] * f(centre)
        for j in [1, 3, 5, 7, 9] + [0, 2, 4, 6, 8] {
            let offset = halfLength * kronrodNodes[j]
            sum += kronrodWeights[j] * (f(centre - offset) + f(centre + offset))
        }
        return sum * halfLength
    }
}

// The training noise schedule every diffusers scheduler builds in `__init__`: betas (linear, scaled_linear,
// squaredcos_cap_v2, exp, laplace, sigmoid, or trained), the optional zero-terminal-SNR rescale, alphas and
// their cumulative product — reproducing torch's float32 CPU kernels operation by operation; and how the
// schedulers that index alphas_cumprod directly (DDIM, DDPM, PNDM, LCM) read it at an integer training timestep,
// including their forward process x_t = √ᾱ_t · x₀ + √(1 − ᾱ_t) · ε.

import Foundation
import Tensors

/// The `beta_schedule` names diffusers knows; each scheduler class accepts its own subset.
public enum BetaSchedule: String, CaseIterable, Sendable {
    case linear
    case scaledLinear = "scaled_linear"
    case squaredcosCapV2 = "squaredcos_cap_v2"
    case exp
    case laplace
    case sigmoid

    /// The schedules most scheduler classes accept.
    public static let standard: [BetaSchedule] = [.linear, .scaledLinear, .squaredcosCapV2]
}

/// Betas, alphas = 1 − betas and alphas_cumprod of a training schedule, as float32 arrays indexed by timestep.
public struct NoiseSchedule: Sendable, Equatable {
    /// `scheduler.betas`.
    public let betas: [Float]
    /// `scheduler.alphas` (1 − betas in float32).
    public let alphas: [Float]
    /// `scheduler.alphas_cumprod`: torch.cumprod, which on the CPU accumulates in double and rounds each output.
    public private(set) var alphasCumprod: [Float]
    /// Whether `rescale_betas_zero_snr` rescaled the betas (arXiv 2305.08891).
    public let isRescaledToZeroTerminalSNR: Bool

    /// The alphas and their cumulative product for given betas (`rescaled`: they come from the zero-SNR rescale).
    public init(betas: [Float], rescaled: Bool = false) {
        self.betas = betas
        isRescaledToZeroTerminalSNR = rescaled
        alphas = betas.map { 1 - $0 }
        alphasCumprod = NoiseSchedule.cumulativeProduct(alphas)
    }

    /// `alphas_cumprod[timestep]` with Python indexing (a negative index counts from the end); nil outside.
    public func alphaCumprod(at timestep: Int) -> Float? {
        let index = timestep < 0 ? alphasCumprod.count + timestep : timestep
        return alphasCumprod.indices.contains(index) ? alphasCumprod[index] : nil
    }

    /// The schedule `__init__` of `scheduler` builds from `config`, with the class's defaults for absent fields:
    /// `trained_betas` wins over `beta_schedule`, and `rescale_betas_zero_snr` is read where the class has it.
    /// A schedule outside `supported`, fewer than two training timesteps, or trained betas whose count is not
    /// `num_train_timesteps` are `unsupported` errors.
    public init(config: SchedulerConfig, scheduler: String, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, supported: [BetaSchedule] = BetaSchedule.standard,
                readsZeroSNRRescale: Bool = true) throws {
        let numTrainTimesteps = config.numTrainTimesteps ?? 1000
        let betas: [Float]
        if let trainedBetas = config.trainedBetas {
            betas = trainedBetas.map { Float($0) }
        } else {
            let schedule: BetaSchedule = try parseOption(config.betaSchedule ?? betaSchedule.rawValue,
                                                         field: "beta_schedule", scheduler: scheduler,
                                                         supported: supported)
            betas = NoiseSchedule.betas(schedule, count: numTrainTimesteps,
                                        betaStart: config.betaStart ?? betaStart, betaEnd: config.betaEnd ?? betaEnd)
        }
        guard betas.count >= 2 else {
            let field = config.trainedBetas == nil ? "num_train_timesteps" : "trained_betas"
            throw SchedulerError.unsupported(scheduler: scheduler, field: field,
                                             value: "\(betas.count) training timesteps", supported: "at least 2")
        }
        guard betas.count == numTrainTimesteps else {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "trained_betas",
                                             value: "\(betas.count) values",
                                             supported: "exactly num_train_timesteps (\(numTrainTimesteps)) values")
        }
        let rescaled = readsZeroSNRRescale && (config.rescaleBetasZeroSnr ?? false)
        self.init(betas: rescaled ? NoiseSchedule.rescaledToZeroTerminalSNR(betas) : betas, rescaled: rescaled)
    }

    /// The σ schedulers' guard under zero terminal SNR: ᾱ_T = 2⁻²⁴ instead of 0, so that σ_max stays finite
    /// (diffusers sets `alphas_cumprod[-1] = 2**-24`); unchanged when the schedule was not rescaled.
    public func withFiniteTerminalSigma() -> NoiseSchedule {
        guard isRescaledToZeroTerminalSNR else { return self }
        var schedule = self
        schedule.alphasCumprod[alphasCumprod.count - 1] = 0x1p-24
        return schedule
    }

    /// The betas of a named schedule, as the schedulers' `__init__` computes them.
    public static func betas(_ schedule: BetaSchedule, count: Int, betaStart: Double, betaEnd: Double) -> [Float] {
        switch schedule {
        case .linear:
            return torchLinspace(start: betaStart, end: betaEnd, count: count)
        case .scaledLinear:
            // torch.linspace(beta_start**0.5, beta_end**0.5, n, dtype=float32) ** 2  (pow 2 is x·x)
            return torchLinspace(start: betaStart.squareRoot(), end: betaEnd.squareRoot(), count: count).map { $0 * $0 }
        case .squaredcosCapV2:
            return betasForAlphaBar(count: count, transform: .cosine)
        case .exp:
            return betasForAlphaBar(count: count, transform: .exp)
        case .laplace:
            return betasForAlphaBar(count: count, transform: .laplace)
        case .sigmoid:
            // torch.sigmoid(torch.linspace(-6, 6, n)) * (beta_end - beta_start) + beta_start, in float32.
            let scale = Float(betaEnd - betaStart), offset = Float(betaStart)
            return torchLinspace(start: -6, end: 6, count: count).map { x in
                let sigmoid = Float(1 / (1 + Foundation.exp(-Double(x))))
                return sigmoid * scale + offset
            }
        }
    }

    /// `torch.linspace(start, end, count, dtype=float32)` on the CPU, bit for bit: start and end are rounded to
    /// float, step = (end − start) / (count − 1) in float, the first half is start + i·step and the second half
    /// end − (count − 1 − i)·step, each a single fused multiply-add (the CPU kernel is compiled with FMA
    /// contraction on AVX2/AVX-512 builds; verified against torch 2.15).
    public static func torchLinspace(start: Double, end: Double, count: Int) -> [Float] {
        guard count > 1 else { return count == 1 ? [Float(start)] : [] }
        let first = Float(start), last = Float(end)
        let step = (last - first) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { index in
            index < halfway
                ? first.addingProduct(step, Float(index))
                : last.addingProduct(-step, Float(count - 1 - index))
        }
    }

    /// The `alpha_transform_type` of `betas_for_alpha_bar`.
    public enum AlphaBarTransform: Sendable { case cosine, exp, laplace }

    /// `betas_for_alpha_bar(n, max_beta=0.999, alpha_transform_type)`: computed in double, stored as float32.
    public static func betasForAlphaBar(count: Int, maxBeta: Double = 0.999, transform: AlphaBarTransform) -> [Float] {
        func alphaBar(_ t: Double) -> Double {
            switch transform {
            case .cosine:
                let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
                return c * c
            case .exp:
                return Foundation.exp(t * -12.0)
            case .laplace:
                let sign: Double = 0.5 - t < 0 ? -1 : 1   // math.copysign(1, 0.5 - t)
                let lambda = -0.5 * sign * log(1 - 2 * abs(0.5 - t) + 1e-6)
                let snr = Foundation.exp(lambda)
                return (snr / (1 + snr)).squareRoot()
            }
        }
        return (0..<max(count, 0)).map { i in
            let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
            return Float(min(1 - alphaBar(t2) / alphaBar(t1), maxBeta))
        }
    }

    /// `rescale_zero_terminal_snr(betas)` (arXiv 2305.08891, Algorithm 1) in float32 torch operation order.
    /// torch's CPU `sqrt` goes through MKL, which is faithfully but not correctly rounded; here it is correctly
    /// rounded, so results can differ from torch by an ulp.
    public static func rescaledToZeroTerminalSNR(_ betas: [Float]) -> [Float] {
        guard !betas.isEmpty else { return betas }
        let cumprod = cumulativeProduct(betas.map { 1 - $0 })
        var sqrtBar = cumprod.map { $0.squareRoot() }
        let first = sqrtBar[0], last = sqrtBar[sqrtBar.count - 1]
        let scale = first / (first - last)
        for i in sqrtBar.indices { sqrtBar[i] = (sqrtBar[i] - last) * scale }
        let bar = sqrtBar.map { $0 * $0 }
        var alphas = [bar[0]]
        for i in 1..<bar.count { alphas.append(bar[i] / bar[i - 1]) }
        return alphas.map { 1 - $0 }
    }

    /// `torch.cumprod(values, 0)` on the CPU: the running product is kept in double, each output rounded to float.
    public static func cumulativeProduct(_ values: [Float]) -> [Float] {
        var product = 1.0
        return values.map { value in
            product *= Double(value)
            return Float(product)
        }
    }
}

// MARK: - Reading the schedule at a training timestep

/// The integer a Float timestep holds, or an `invalidTimestep` error.
func integerTimestep(_ timestep: Float, scheduler: String) throws -> Int {
    guard timestep.isFinite, timestep.rounded() == timestep, abs(timestep) < 1e9 else {
        throw SchedulerError.invalidTimestep(scheduler: scheduler, timestep: timestep,
                                             reason: "is not an integer training timestep")
    }
    return Int(timestep)
}

extension NoiseSchedule {
    /// `alphas_cumprod[timestep]` (Python indexing), or an `invalidTimestep` error outside the training range.
    func alphaCumprod(at timestep: Int, scheduler: String) throws -> Float {
        guard let value = alphaCumprod(at: timestep) else {
            throw SchedulerError.invalidTimestep(scheduler: scheduler, timestep: Float(timestep),
                                                 reason: "is outside the training range 0..<\(alphasCumprod.count)")
        }
        return value
    }

    /// `add_noise(original, noise, t)` of the alphas_cumprod schedulers: √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε in float32, with
    /// ᾱ_t = alphas_cumprod[t]; a timestep outside the training range, which no `set_timesteps` produces, returns
    /// the original unchanged.
    func addNoise(_ original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard timestep.rounded() == timestep, abs(timestep) < 1e9,
              let alphaProd = alphaCumprod(at: Int(timestep)) else { return original }
        return original * alphaProd.squareRoot() + noise * (1 - alphaProd).squareRoot()
    }
}

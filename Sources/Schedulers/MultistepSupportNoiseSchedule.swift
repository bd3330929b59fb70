// The training noise schedule of the multistep schedulers: betas → alphas_cumprod, bit-exact with diffusers'
// float32 torch code (ATen's fma-contracted linspace, cumprod with a double accumulator, zero-SNR rescale).

import Foundation

/// The beta-schedule fields of a config after the scheduler class's defaults were applied.
struct MultistepBetaSchedule {
    var trainSteps: Int
    var betaStart: Double
    var betaEnd: Double
    var schedule: String
    var trainedBetas: [Double]?
    var rescaleZeroTerminalSNR: Bool

    /// Reads the fields from `config`, falling back to the given class defaults.
    init(_ config: SchedulerConfig, betaStart: Double, betaEnd: Double, schedule: String) {
        trainSteps = config.numTrainTimesteps ?? 1000
        self.betaStart = config.betaStart ?? betaStart
        self.betaEnd = config.betaEnd ?? betaEnd
        self.schedule = config.betaSchedule ?? schedule
        trainedBetas = config.trainedBetas
        rescaleZeroTerminalSNR = config.rescaleBetasZeroSnr ?? false
    }
}

/// The beta schedules `multistepBetas` implements.
let multistepSupportedBetaSchedules = ["linear", "scaled_linear", "squaredcos_cap_v2"]

/// `self.betas` of the diffusers schedulers (including `rescale_zero_terminal_snr` when configured).
func multistepBetas(_ schedule: MultistepBetaSchedule, scheduler: String) throws -> [Float] {
    guard schedule.trainSteps >= 2 else {
        throw SchedulerError.unsupported(scheduler: scheduler, field: "num_train_timesteps",
                                         value: String(schedule.trainSteps), supported: "an integer ≥ 2")
    }
    var betas: [Float]
    if let trained = schedule.trainedBetas {
        guard trained.count == schedule.trainSteps else {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "trained_betas",
                                             value: "\(trained.count) values",
                                             supported: "exactly num_train_timesteps (\(schedule.trainSteps)) values")
        }
        betas = trained.map { Float($0) }
    } else {
        switch schedule.schedule {
        case "linear":
            betas = multistepTorchLinspace(start: schedule.betaStart, end: schedule.betaEnd, count: schedule.trainSteps)
        case "scaled_linear":
            betas = multistepTorchLinspace(start: schedule.betaStart.squareRoot(), end: schedule.betaEnd.squareRoot(),
                                           count: schedule.trainSteps).map { $0 * $0 }
        case "squaredcos_cap_v2":
            betas = multistepBetasForAlphaBar(count: schedule.trainSteps)
        default:
            throw SchedulerError.unsupported(scheduler: scheduler, field: "beta_schedule", value: schedule.schedule,
                                             supported: multistepSupportedBetaSchedules.joined(separator: ", "))
        }
    }
    return schedule.rescaleZeroTerminalSNR ? multistepRescaleZeroTerminalSNR(betas) : betas
}

/// `torch.linspace(start, end, count, dtype=float32)`: ATen computes `step` in float and fills the first half as
/// `start + step·i` and the second half as `end − step·(count−1−i)`, each a single fused multiply-add.
func multistepTorchLinspace(start: Double, end: Double, count: Int) -> [Float] {
    let first = Float(start), last = Float(end)
    guard count > 1 else { return count == 1 ? [first] : [] }
    let step = (last - first) / Float(count - 1)
    let halfway = count / 2
    return (0..<count).map { index in
        index < halfway ? first.addingProduct(step, Float(index))
                        : last.addingProduct(-step, Float(count - 1 - index))
    }
}

/// `torch.cumprod` of a float32 vector on the CPU: the running product is kept in double, each entry rounded.
func multistepCumprod(_ values: [Float]) -> [Float] {
    var running = 1.0
    return values.map { value in
        running *= Double(value)
        return Float(running)
    }
}

/// `alphas_cumprod = cumprod(1 − betas)`.
func multistepAlphasCumprod(_ betas: [Float]) -> [Float] {
    multistepCumprod(betas.map { 1 - $0 })
}

/// diffusers' `betas_for_alpha_bar` with the cosine ("squaredcos_cap_v2") transform, computed in double.
func multistepBetasForAlphaBar(count: Int, maxBeta: Double = 0.999) -> [Float] {
    func alphaBar(_ t: Double) -> Double {
        let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
        return c * c
    }
    return (0..<count).map { i in
        let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
        return Float(min(1 - alphaBar(t2) / alphaBar(t1), maxBeta))
    }
}

/// diffusers' `rescale_zero_terminal_snr`: shifts and scales √ᾱ so the last timestep has zero SNR (float32 ops).
func multistepRescaleZeroTerminalSNR(_ betas: [Float]) -> [Float] {
    var roots = multistepAlphasCumprod(betas).map { $0.squareRoot() }
    guard let first = roots.first, let last = roots.last else { return betas }
    let scale = first / (first - last)
    roots = roots.map { ($0 - last) * scale }
    let alphasBar = roots.map { $0 * $0 }
    return alphasBar.indices.map { i in 1 - (i == 0 ? alphasBar[0] : alphasBar[i] / alphasBar[i - 1]) }
}

/// `((1 − ᾱ) / ᾱ) ** 0.5` in float32: the training sigmas, ascending with the timestep.
func multistepTrainSigmas(_ alphasCumprod: [Float]) -> [Float] {
    alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
}

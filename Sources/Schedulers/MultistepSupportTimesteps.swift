// Timestep spacing of the multistep schedulers ("linspace", "leading", "trailing", Table 2 of arXiv:2305.08891),
// reproducing the numpy float64 arithmetic diffusers uses (np.linspace, np.arange fill, round-half-to-even).

import Foundation

/// The timestep spacings `multistepSpacedTimesteps` implements.
let multistepSupportedSpacings = ["linspace", "leading", "trailing"]

/// `np.linspace(start, stop, count, endpoint=…)` in float64: `i·step + start`, the last entry set to `stop`.
func multistepNumpyLinspace(start: Double, stop: Double, count: Int, endpoint: Bool = true) -> [Double] {
    guard count > 0 else { return [] }
    let divisor = endpoint ? count - 1 : count
    let delta = stop - start
    var values: [Double]
    if divisor > 0 {
        let step = delta / Double(divisor)
        values = step == 0 ? (0..<count).map { Double($0) / Double(divisor) * delta }
                           : (0..<count).map { Double($0) * step }
    } else {
        values = (0..<count).map { Double($0) * delta }
    }
    values = values.map { $0 + start }
    if endpoint && count > 1 { values[count - 1] = stop }
    return values
}

/// `np.arange(start, stop, step)` for float steps: length ⌈(stop − start)/step⌉, entries `start + i·δ` with
/// δ = (start + step) − start, as numpy's fill loop computes them.
func multistepNumpyArange(start: Double, stop: Double, step: Double) -> [Double] {
    let length = Int(max(((stop - start) / step).rounded(.up), 0))
    guard length > 0 else { return [] }
    guard length > 1 else { return [start] }
    let delta = (start + step) - start
    return (0..<length).map { i in i == 1 ? start + step : start + Double(i) * delta }
}

/// The integer timesteps (descending) of `set_timesteps` for a spacing. `lastTimestep` is the exclusive upper
/// end (num_train_timesteps, or DPM-Solver's λ-clipped value); `trainSteps` sets the trailing stride.
func multistepSpacedTimesteps(spacing: String, steps: Int, trainSteps: Int, lastTimestep: Int,
                              stepsOffset: Int) -> [Int] {
    switch spacing {
    case "leading":
        let ratio = lastTimestep / (steps + 1)
        return (1...steps).reversed().map { $0 * ratio + stepsOffset }
    case "trailing":
        let ratio = Double(trainSteps) / Double(steps)
        return multistepNumpyArange(start: Double(lastTimestep), stop: 0, step: -ratio)
            .map { Int($0.rounded(.toNearestOrEven)) - 1 }
    default:  // "linspace"; callers validate the spacing when the scheduler is built
        let grid = multistepNumpyLinspace(start: 0, stop: Double(lastTimestep - 1), count: steps + 1)
        return grid.dropFirst().reversed().map { Int($0.rounded(.toNearestOrEven)) }
    }
}

/// Timesteps as diffusers stores them after `torch.from_numpy(t).to(int64)`: truncation toward zero.
func multistepTruncatedTimesteps(_ values: [Double]) -> [Float] {
    values.map { Float(Int64($0)) }
}

/// Timesteps rounded half-to-even first (`np.round`), then stored as integers.
func multistepRoundedTimesteps(_ values: [Double]) -> [Float] {
    values.map { Float(Int64($0.rounded(.toNearestOrEven))) }
}

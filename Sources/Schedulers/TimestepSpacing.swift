// The inference timesteps of `set_timesteps` for each `timestep_spacing` (leading / trailing / linspace), computed
// as diffusers does in NumPy float64 (np.linspace, np.arange, np.round = half to even) and then cast, plus
// diffusers' `index_for_timestep` rule.
//
// Shared file: the multistep schedulers (DPM-Solver++, UniPC, LCM) use it too. It depends only on Foundation
// and on `SchedulerError` (Scheduler.swift).

import Foundation

/// `timestep_spacing`: how `set_timesteps` spreads the inference steps over the training timesteps
/// (Table 2 of arXiv 2305.08891).
public enum TimestepSpacing: String, CaseIterable, Sendable {
    case linspace, leading, trailing

    /// The spacing named by a config value, or an `unsupported` error listing the three names.
    public init(configValue: String, scheduler: String) throws {
        guard let spacing = TimestepSpacing(rawValue: configValue) else {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "timestep_spacing", value: configValue,
                                             supported: TimestepSpacing.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = spacing
    }

    /// Descending integer timesteps as DDIM and DDPM compute them (PNDM uses them in ascending order):
    /// - linspace: `np.linspace(0, T − 1, n).round()[::-1]`
    /// - leading: `(np.arange(n) · (T // n)).round()[::-1] + steps_offset`
    /// - trailing: `np.round(np.arange(T, 0, −T / n)) − 1`
    /// `trailing` follows np.arange's length rule, which for some n (61, 103, …) yields n + 1 values.
    public func integerTimesteps(steps: Int, numTrainTimesteps: Int, stepsOffset: Int) -> [Int] {
        switch self {
        case .linspace:
            return NumPyRanges.linspace(0, Double(numTrainTimesteps - 1), count: steps)
                .map { Int($0.rounded(.toNearestOrEven)) }.reversed()
        case .leading:
            let ratio = numTrainTimesteps / steps
            return (0..<steps).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            return NumPyRanges.arange(Double(numTrainTimesteps), 0, step: -Double(numTrainTimesteps) / Double(steps))
                .map { Int($0.rounded(.toNearestOrEven)) - 1 }
        }
    }

    /// Descending float32 timesteps as the sigma schedulers (Euler, Euler ancestral, LMS, Heun) compute them:
    /// like `integerTimesteps` except that linspace is not rounded (`np.linspace(0, T − 1, n, dtype=float32)`).
    public func fractionalTimesteps(steps: Int, numTrainTimesteps: Int, stepsOffset: Int) -> [Float] {
        switch self {
        case .linspace:
            return NumPyRanges.linspace(0, Double(numTrainTimesteps - 1), count: steps).map { Float($0) }.reversed()
        case .leading, .trailing:
            return integerTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps, stepsOffset: stepsOffset)
                .map { Float($0) }
        }
    }
}

/// NumPy's float64 range constructors, reproduced bit for bit.
public enum NumPyRanges {
    /// `np.linspace(start, stop, count)`: i · ((stop − start) / (count − 1)) + start, the last value set to stop.
    public static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 0 else { return [] }
        guard count > 1 else { return [start] }
        let delta = stop - start
        let step = delta / Double(count - 1)
        var values = (0..<count).map { i in
            step == 0 ? Double(i) / Double(count - 1) * delta + start : Double(i) * step + start
        }
        values[count - 1] = stop
        return values
    }

    /// `np.arange(start, stop, step)` for floats: length ceil((stop − start) / step); the values are start,
    /// start + step, then start + i · d with d = (start + step) − start, as NumPy's fill does.
    public static func arange(_ start: Double, _ stop: Double, step: Double) -> [Double] {
        let length = ((stop - start) / step).rounded(.up)
        guard length > 0, length < Double(Int32.max) else { return [] }
        let count = Int(length)
        let delta = (start + step) - start
        return (0..<count).map { i in
            switch i {
            case 0: return start
            case 1: return start + step
            default: return start + Double(i) * delta
            }
        }
    }
}

/// diffusers' `index_for_timestep`: the position of `timestep` in `timesteps`, taking the second match when
/// there are several, so that a schedule starting part-way (img2img) never skips a sigma. Nil when absent.
public func indexForTimestep(_ timestep: Float, in timesteps: [Float]) -> Int? {
    let matches = timesteps.indices.filter { timesteps[$0] == timestep }
    guard let first = matches.first else { return nil }
    return matches.count > 1 ? matches[1] : first
}

// The inference timesteps of `set_timesteps` for each `timestep_spacing` (leading / trailing / linspace), computed
// as diffusers does in NumPy float64 (np.linspace, np.arange, np.round = half to even) and then cast. The
// alphas_cumprod schedulers, the σ schedulers and the multistep solvers each use their own formulas. NumPy's
// range constructors are reproduced bit for bit: the same step, the same fill order, the same length rule.

/// `timestep_spacing`: how `set_timesteps` spreads the inference steps over the training timesteps
/// (Table 2 of arXiv 2305.08891).
public enum TimestepSpacing: String, CaseIterable, Sendable {
    case linspace, leading, trailing

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
            return Self.trailing(from: numTrainTimesteps, steps: steps, numTrainTimesteps: numTrainTimesteps)
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

    /// Descending integer timesteps as DPM-Solver and UniPC compute them, over n + 1 grid points:
    /// - linspace: `np.linspace(0, last − 1, n + 1).round()[::-1][:-1]`
    /// - leading: `(np.arange(n + 1) · (last // (n + 1))).round()[::-1][:-1] + steps_offset`
    /// - trailing: `np.round(np.arange(last, 0, −T / n)) − 1`
    /// `lastTimestep` is T, or DPM-Solver's end clipped by `lambda_min_clipped`.
    public func solverTimesteps(steps: Int, numTrainTimesteps: Int, lastTimestep: Int, stepsOffset: Int) -> [Int] {
        switch self {
        case .linspace:
            let grid = NumPyRanges.linspace(0, Double(lastTimestep - 1), count: steps + 1)
            return grid.dropFirst().reversed().map { Int($0.rounded(.toNearestOrEven)) }
        case .leading:
            let ratio = lastTimestep / (steps + 1)
            return (1...steps).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            return Self.trailing(from: lastTimestep, steps: steps, numTrainTimesteps: numTrainTimesteps)
        }
    }

    /// `np.round(np.arange(start, 0, −T / n)) − 1`.
    private static func trailing(from start: Int, steps: Int, numTrainTimesteps: Int) -> [Int] {
        NumPyRanges.arange(Double(start), 0, step: -Double(numTrainTimesteps) / Double(steps))
            .map { Int($0.rounded(.toNearestOrEven)) - 1 }
    }
}

/// `np.linspace` and `np.arange` in float64.
public enum NumPyRanges {
    /// `np.linspace(start, stop, count, endpoint=…)`: y = arange(count) · step + start with
    /// step = (stop − start) / div (div = count − 1, or count without the endpoint), y = i / div · delta + start
    /// when step is 0, y = i · delta + start when div is 0; with the endpoint the last value is set to stop.
    public static func linspace(_ start: Double, _ stop: Double, count: Int, endpoint: Bool = true) -> [Double] {
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

    /// `np.arange(start, stop, step)` for floats: length ceil((stop − start) / step); the values are start,
    /// start + step, then start + i · d with d = (start + step) − start, as NumPy's fill does. A length that is
    /// not finite or beyond Int32 gives no values (NumPy would refuse to allocate them).
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

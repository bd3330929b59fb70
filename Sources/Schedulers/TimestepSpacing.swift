// The inference timesteps of `set_timesteps` for each `timestep_spacing` (leading / trailing / linspace), computed
// as diffusers does in NumPy float64 (np.linspace, np.arange, np.round = half to even) and then cast. The
// alphas_cumprod schedulers, the σ schedulers and the multistep solvers each use their own formulas.

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

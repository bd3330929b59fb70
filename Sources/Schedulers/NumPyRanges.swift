// NumPy's float64 range constructors as diffusers calls them in `set_timesteps` (np.linspace, np.arange),
// reproduced bit for bit: the same step, the same fill order, the same length rule.

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

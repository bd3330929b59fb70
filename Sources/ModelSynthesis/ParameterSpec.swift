// One parameter of a synthetic checkpoint: its state_dict key, shape and how its random values are drawn
// (matrices N(0, 1/fan_in) so every layer keeps unit-scale activations; biases and norms near their identity).

/// How a synthetic parameter's values are distributed.
public enum ParameterRole: Equatable, Sendable {
    /// A linear or conv weight: N(0, 1/fan_in), fan_in = in-features × kernel area.
    case matrix(fanIn: Int)
    /// A bias: N(0, 0.02²).
    case bias
    /// A norm's scale γ: 1 + N(0, 0.02²).
    case normScale
    /// A norm's shift β: N(0, 0.02²).
    case normShift
    /// An embedding table: N(0, std²).
    case embedding(std: Float)

    /// Mean and standard deviation of the values.
    var distribution: (mean: Float, std: Float) {
        switch self {
        case let .matrix(fanIn): return (0, 1 / Float(fanIn).squareRoot())
        case .bias, .normShift: return (0, 0.02)
        case .normScale: return (1, 0.02)
        case let .embedding(std): return (0, std)
        }
    }
}

/// A parameter to synthesise: key, shape, role.
public struct ParameterSpec: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole

    public init(_ name: String, _ shape: [Int], _ role: ParameterRole) {
        self.name = name
        self.shape = shape
        self.role = role
    }
}

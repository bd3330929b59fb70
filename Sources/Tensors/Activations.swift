// ReLU max(x, 0), SiLU x·σ(x), QuickGELU x·σ(1.702x), GELU 0.5x(1+erf(x/√2)) and its tanh form x·σ(2·√(2/π)(x+0.044715x³)).
// Elementwise over the flat buffer, SIMD16 lanes, parallel over contiguous chunks.

/// The activation functions the diffusers and transformers models use, by their config names.
public enum Activation: String, Sendable {
    case silu, swish
    case gelu
    case geluTanh = "gelu_pytorch_tanh"
    case quickGELU = "quick_gelu"
    case relu

    /// Creates the activation a config's `act_fn` / `hidden_act` names; nil when unsupported.
    public init?(configName: String) {
        switch configName {
        case "silu", "swish": self = .silu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "quick_gelu": self = .quickGELU
        case "relu": self = .relu
        default: return nil
        }
    }

    /// The activation on 16 lanes.
    @inlinable @inline(__always)
    public func apply(_ x: VectorMath.Vector) -> VectorMath.Vector {
        switch self {
        case .silu, .swish: return x * VectorMath.sigmoid(x)
        case .quickGELU: return x * VectorMath.sigmoid(1.702 * x)
        case .relu: return VectorMath.maximum(x, .zero)
        case .gelu: return 0.5 * x * (1 + VectorMath.erf(x * 0.70710678118654752))
        case .geluTanh:
            let inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
            return x * VectorMath.sigmoid(2 * inner)
        }
    }
}

extension Tensor {
    /// The activation applied elementwise.
    public func applying(_ activation: Activation) -> Tensor {
        var result = self
        result.apply(activation)
        return result
    }

    /// Applies the activation elementwise, in place.
    public mutating func apply(_ activation: Activation) {
        KernelProfile.run("activation") {
            withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                parallelChunks(buffer.count, minimumChunk: 1 << 14) { range in
                    VectorMath.map(base + range.lowerBound, base + range.lowerBound, count: range.count) {
                        activation.apply($0)
                    }
                }
            }
        }
    }
}

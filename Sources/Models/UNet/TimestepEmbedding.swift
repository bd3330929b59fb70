// The diffusers `Timesteps` projection (sinusoidal, `get_timestep_embedding`) and `TimestepEmbedding` MLP:
// emb[j] = t · e^{−ln(10000)·j/(half − shift)}, [sin | cos] (or [cos | sin]), then linear → act → linear.

#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// diffusers `get_timestep_embedding` in float32, as torch computes it.
public func sinusoidalTimestepEmbedding(_ timesteps: [Float], dimension: Int, flipSinToCos: Bool,
                                        downscaleFreqShift: Float, maxPeriod: Float = 10000) -> Tensor {
    let half = dimension / 2
    let logPeriod = -Float(log(Double(maxPeriod)))
    let frequencies = (0..<half).map { expf(logPeriod * Float($0) / (Float(half) - downscaleFreqShift)) }
    var values = [Float](repeating: 0, count: timesteps.count * dimension)
    for (row, t) in timesteps.enumerated() {
        for j in 0..<half {
            let angle = t * frequencies[j]
            let (first, second) = flipSinToCos ? (cosf(angle), sinf(angle)) : (sinf(angle), cosf(angle))
            values[row * dimension + j] = first
            values[row * dimension + half + j] = second
        }
    }
    // An odd dimension is zero-padded by one column, as diffusers does.
    return Tensor(shape: [timesteps.count, dimension], values: values)
}

/// The diffusers `TimestepEmbedding`: `linear_1` → activation → `linear_2`.
public struct TimestepEmbedding {
    let linear1: Linear, linear2: Linear
    let activation: Activation

    public init(_ scope: WeightScope, inChannels: Int, embeddingDim: Int, activation: Activation) {
        linear1 = Linear(scope["linear_1"], inFeatures: inChannels, outFeatures: embeddingDim)
        linear2 = Linear(scope["linear_2"], inFeatures: embeddingDim, outFeatures: embeddingDim)
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear2(linear1(x).applying(activation))
    }
}

// The diffusers `ResnetBlock2D`: GroupNorm → act → Conv3×3 → (+ time embedding, or scale-shift after the
// second norm) → GroupNorm → act → Conv3×3, plus a 1×1 shortcut when the channel count changes; / out-scale.

import Tensors

/// The diffusers `ResnetBlock2D` (`time_embedding_norm` "default" or "scale_shift").
public struct ResnetBlock2D {
    let norm1: GroupNorm, conv1: Conv2d, norm2: GroupNorm, conv2: Conv2d
    let timeProjection: Linear?
    let shortcut: Conv2d?
    let activation: Activation
    let scaleShift: Bool
    let outputScaleFactor: Float

    /// `temb` is nil for the VAE's blocks, which take no time embedding.
    public init(_ scope: WeightScope, inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int?,
                groups: Int, epsilon: Float, activation: Activation, scaleShift: Bool = false,
                outputScaleFactor: Float = 1) {
        norm1 = GroupNorm(scope["norm1"], groups: groups, channels: inChannels, epsilon: epsilon)
        conv1 = Conv2d(scope["conv1"], inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1)
        timeProjection = timeEmbeddingChannels.map {
            Linear(scope["time_emb_proj"], inFeatures: $0, outFeatures: scaleShift ? 2 * outChannels : outChannels)
        }
        norm2 = GroupNorm(scope["norm2"], groups: groups, channels: outChannels, epsilon: epsilon)
        conv2 = Conv2d(scope["conv2"], inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
        shortcut = inChannels == outChannels ? nil
            : Conv2d(scope["conv_shortcut"], inChannels: inChannels, outChannels: outChannels, kernel: 1)
        self.activation = activation
        self.scaleShift = scaleShift
        self.outputScaleFactor = outputScaleFactor
    }

    public func callAsFunction(_ input: Tensor, timeEmbedding: Tensor? = nil) -> Tensor {
        // diffusers: hidden_states = conv1(nonlinearity(norm1(input_tensor)))
        var hidden = conv1(input, fusing: .normalizing(norm1.normalization(of: input, activation: activation)))
        var projected: Tensor?
        if let timeProjection, let timeEmbedding {
            // [B, C] → [B, C, 1, 1], broadcast over the pixels.
            let t = timeProjection(timeEmbedding.applying(activation))
            projected = t.reshaped(t.shape + [1, 1])
        }
        if let projected, !scaleShift { hidden = hidden + projected }
        var normalization: ChannelNormalization?
        if let projected, scaleShift {
            let parts = projected.chunked(into: 2, along: 1)
            hidden = norm2(hidden) * (parts[0] + 1) + parts[1]
            hidden.apply(activation)
        } else {
            normalization = norm2.normalization(of: hidden, activation: activation)
        }
        // diffusers: conv_shortcut(input_tensor) + conv2(nonlinearity(norm2(hidden_states))), the norm and act
        // (unless scale-shift applied them above) read into conv2, the sum written by it.
        let output = conv2(hidden, fusing: .normalizing(normalization, adding: shortcut.map { $0(input) } ?? input))
        return outputScaleFactor == 1 ? output : output * (1 / outputScaleFactor)
    }
}

// The diffusers `Attention` module with `AttnProcessor2_0`: q/k/v projections, multi-head scaled dot-product
// attention (tiled, no N×N buffer), the output projection; for 4-D input (the VAE's mid-block) an optional
// group norm first, NCHW ↔ [B, HW, C] reshapes, a residual connection and the output rescale.

import Tensors

/// The diffusers `Attention` module (`to_q`, `to_k`, `to_v`, `to_out.0`, optional `group_norm`).
public struct MultiHeadAttention {
    public let heads: Int
    let toQuery: Linear, toKey: Linear, toValue: Linear, toOut: Linear
    let groupNorm: GroupNorm?
    let residualConnection: Bool
    let rescaleOutputFactor: Float

    /// Reads the module under `scope`. `crossAttentionDim` is the width of the encoder states (nil: self-attention).
    public init(_ scope: WeightScope, queryDim: Int, crossAttentionDim: Int? = nil, heads: Int, headDim: Int,
                bias: Bool = false, outBias: Bool = true, groupNorm: (groups: Int, epsilon: Float)? = nil,
                residualConnection: Bool = false, rescaleOutputFactor: Float = 1) {
        let inner = heads * headDim
        let contextDim = crossAttentionDim ?? queryDim
        self.heads = heads
        toQuery = Linear(scope["to_q"], inFeatures: queryDim, outFeatures: inner, bias: bias)
        toKey = Linear(scope["to_k"], inFeatures: contextDim, outFeatures: inner, bias: bias)
        toValue = Linear(scope["to_v"], inFeatures: contextDim, outFeatures: inner, bias: bias)
        toOut = Linear(scope["to_out"][0], inFeatures: inner, outFeatures: queryDim, bias: outBias)
        self.groupNorm = groupNorm.map { GroupNorm(scope["group_norm"], groups: $0.groups, channels: queryDim, epsilon: $0.epsilon) }
        self.residualConnection = residualConnection
        self.rescaleOutputFactor = rescaleOutputFactor
    }

    /// Attention over a `[B, N, C]` sequence; `context` (`[B, M, C']`) gives keys and values for cross-attention.
    public func callAsFunction(_ hidden: Tensor, context: Tensor? = nil) -> Tensor {
        let context = context ?? hidden
        let attended = Attention.scaledDotProduct(query: toQuery(hidden), key: toKey(context), value: toValue(context),
                                                  heads: heads)
        var output = toOut(attended)
        if residualConnection { output.add(hidden) }
        return rescaleOutputFactor == 1 ? output : output * (1 / rescaleOutputFactor)
    }

    /// Self-attention over the pixels of an NCHW feature map (the VAE mid-block's spatial attention).
    public func spatial(_ x: Tensor) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let normed = groupNorm.map { $0(x) } ?? x
        let sequence = normed.reshaped([batch, channels, height * width]).transposedLastTwo()
        let attended = toOut(Attention.scaledDotProduct(query: toQuery(sequence), key: toKey(sequence),
                                                        value: toValue(sequence), heads: heads))
        var output = attended.transposedLastTwo().reshaped(x.shape)
        if residualConnection { output.add(x) }
        return rescaleOutputFactor == 1 ? output : output * (1 / rescaleOutputFactor)
    }
}

// The diffusers `BasicTransformerBlock` (norm_type "layer_norm"): x += attn1(norm1(x)); x += attn2(norm2(x),
// context); x += ff(norm3(x)), with the `FeedForward` GEGLU MLP: proj → (h, gate) → h·gelu(gate) → linear.

import Tensors

/// The diffusers `FeedForward` with `activation_fn="geglu"` (keys `net.0.proj`, `net.2`).
public struct GEGLUFeedForward {
    let projection: Linear, output: Linear

    public init(_ scope: WeightScope, dim: Int, multiplier: Int = 4) {
        let inner = dim * multiplier
        projection = Linear(scope["net"][0]["proj"], inFeatures: dim, outFeatures: inner * 2)
        output = Linear(scope["net"][2], inFeatures: inner, outFeatures: dim)
    }

    /// Tokens per block: the 8×-wide projection of 1024 tokens at a time instead of all of them (at 64² latents
    /// with guidance, 84 MB of projection and 42 MB of gated values fewer at the peak).
    static let tokensPerBlock = 1024

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.mappingRowBlocks(of: Self.tokensPerBlock, outputWidth: output.outFeatures) { rows in
            // diffusers: net[2](hidden_states * gelu(gate)), hidden_states, gate = net[0].proj(x).chunk(2, dim=-1)
            output(projection(rows).geglu())
        }
    }
}

/// The diffusers `BasicTransformerBlock` as SD1.x / SD2.x use it.
public struct BasicTransformerBlock {
    let norm1: LayerNorm, attention1: MultiHeadAttention
    let norm2: LayerNorm, attention2: MultiHeadAttention
    let norm3: LayerNorm, feedForward: GEGLUFeedForward
    let onlyCrossAttention: Bool

    public init(_ scope: WeightScope, dim: Int, heads: Int, headDim: Int, crossAttentionDim: Int,
                onlyCrossAttention: Bool) {
        norm1 = LayerNorm(scope["norm1"], width: dim, epsilon: 1e-5)
        attention1 = MultiHeadAttention(scope["attn1"], queryDim: dim,
                                        crossAttentionDim: onlyCrossAttention ? crossAttentionDim : nil,
                                        heads: heads, headDim: headDim)
        norm2 = LayerNorm(scope["norm2"], width: dim, epsilon: 1e-5)
        attention2 = MultiHeadAttention(scope["attn2"], queryDim: dim, crossAttentionDim: crossAttentionDim,
                                        heads: heads, headDim: headDim)
        norm3 = LayerNorm(scope["norm3"], width: dim, epsilon: 1e-5)
        feedForward = GEGLUFeedForward(scope["ff"], dim: dim)
        self.onlyCrossAttention = onlyCrossAttention
    }

    /// `hidden` is `[B, N, dim]`, `context` the text encoder states `[B, 77, crossAttentionDim]`.
    public func callAsFunction(_ hidden: Tensor, context: Tensor) -> Tensor {
        var x = hidden
        x.add(attention1(norm1(x), context: onlyCrossAttention ? context : nil))
        x.add(attention2(norm2(x), context: context))
        x.add(feedForward(norm3(x)))
        return x
    }
}

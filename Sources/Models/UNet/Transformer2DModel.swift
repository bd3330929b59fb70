// The diffusers `Transformer2DModel` for continuous input: GroupNorm(eps 1e-6) → proj_in (1×1 conv, or a
// linear after flattening when `use_linear_projection`) → transformer blocks over the H·W tokens →
// proj_out → back to NCHW → + input.

import Tensors

/// The diffusers `Transformer2DModel` (spatial transformer) of the UNet's attention blocks.
public struct Transformer2DModel {
    let norm: GroupNorm
    let projectIn: Linear, projectOut: Linear
    let blocks: [BasicTransformerBlock]

    public init(_ scope: WeightScope, channels: Int, heads: Int, depth: Int, crossAttentionDim: Int, groups: Int,
                onlyCrossAttention: Bool, linearProjection: Bool) {
        let headDim = channels / heads
        let inner = heads * headDim
        norm = GroupNorm(scope["norm"], groups: groups, channels: channels, epsilon: 1e-6)
        // A 1×1 conv and a linear hold the same matrix: asked for in the shape the reference stores (the loader
        // accepts either), computed as a linear.
        projectIn = Linear(scope["proj_in"], inFeatures: channels, outFeatures: inner, storedAsConv1x1: !linearProjection)
        projectOut = Linear(scope["proj_out"], inFeatures: inner, outFeatures: channels, storedAsConv1x1: !linearProjection)
        blocks = (0..<depth).map {
            BasicTransformerBlock(scope["transformer_blocks"][$0], dim: inner, heads: heads, headDim: headDim,
                                  crossAttentionDim: crossAttentionDim, onlyCrossAttention: onlyCrossAttention)
        }
    }

    public func callAsFunction(_ input: Tensor, context: Tensor) -> Tensor {
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        // The 1×1 conv and the linear projection compute the same numbers: x·Wᵀ + b per pixel.
        var hidden = norm(input).reshaped([batch, channels, height * width]).transposedLastTwo()
        hidden = projectIn(hidden)
        for block in blocks { hidden = block(hidden, context: context) }
        hidden = projectOut(hidden)
        var output = hidden.transposedLastTwo().reshaped(input.shape)
        output.add(input)
        return output
    }
}

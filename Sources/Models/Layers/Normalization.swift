// torch.nn.GroupNorm and torch.nn.LayerNorm as stored in checkpoints: `weight` (γ) and `bias` (β).

import Tensors

/// `torch.nn.GroupNorm(groups, channels, eps, affine=True)`, with an optional fused activation.
public struct GroupNorm {
    public let groups: Int
    public let epsilon: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(_ scope: WeightScope, groups: Int, channels: Int, epsilon: Float) {
        self.groups = groups
        self.epsilon = epsilon
        weight = scope.tensor("weight", shape: [channels])
        bias = scope.tensor("bias", shape: [channels])
    }

    public func callAsFunction(_ x: Tensor, activation: Activation? = nil) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
    }

    /// The norm (+ activation) of `x` as a per-channel map, for a conv to apply as it reads `x`.
    public func normalization(of x: Tensor, activation: Activation? = nil) -> ChannelNormalization {
        x.groupNormalization(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
    }
}

/// `torch.nn.LayerNorm(width, eps)` over the last dimension.
public struct LayerNorm {
    public let epsilon: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(_ scope: WeightScope, width: Int, epsilon: Float) {
        self.epsilon = epsilon
        weight = scope.tensor("weight", shape: [width])
        bias = scope.tensor("bias", shape: [width])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }
}

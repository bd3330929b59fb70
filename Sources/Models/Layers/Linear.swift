// torch.nn.Linear as stored in checkpoints: `weight` [out, in] and an optional `bias` [out].

import Tensors

/// `torch.nn.Linear`: y = x·Wᵀ + b over the last dimension.
public struct Linear {
    public let weight: Tensor
    public let bias: Tensor?

    /// Reads `weight` (and `bias` when `bias` is true) under `scope`.
    public init(_ scope: WeightScope, inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        weight = scope.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? scope.tensor("bias", shape: [outFeatures]) : nil
    }

    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }
}

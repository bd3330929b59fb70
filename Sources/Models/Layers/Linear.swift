// torch.nn.Linear as stored in checkpoints: `weight` [out, in] and an optional `bias` [out].

import Tensors

/// `torch.nn.Linear`: y = x·Wᵀ + b over the last dimension.
public struct Linear {
    /// The weight in its checkpoint's precision (F16 stays half, widened where the kernels read it).
    public let weight: LayerWeight
    public let bias: Tensor?
    /// The checkpoint key of the module (`….to_q`), by which a request's LoRA patches find it.
    public let key: String

    /// Reads `weight` (and `bias` when `bias` is true) under `scope`; `storedAsConv1x1` asks for the weight as the
    /// reference stores a 1×1 `nn.Conv2d` used per pixel, `[out, in, 1, 1]` (the same matrix).
    public init(_ scope: WeightScope, inFeatures: Int, outFeatures: Int, bias: Bool = true, storedAsConv1x1: Bool = false) {
        let shape = [outFeatures, inFeatures]
        weight = storedAsConv1x1 ? scope.layerWeight("weight", shape: shape + [1, 1]).reshaped(shape)
            : scope.layerWeight("weight", shape: shape)
        self.bias = bias ? scope.tensor("bias", shape: [outFeatures]) : nil
        key = scope.registerLayer(weightShape: [outFeatures, inFeatures])
    }

    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let patch = LayerPatches.current(key) { return patch.linear(x, weight: weight, bias: bias) }
        return x.linear(weight: weight, bias: bias)
    }
}

// torch.nn.Conv2d as stored in checkpoints: `weight` [out, in, kh, kw] and an optional `bias` [out].

import Tensors

/// `torch.nn.Conv2d` with square kernel, stride and symmetric padding (NCHW).
public struct Conv2d {
    /// The weight in its checkpoint's precision (F16 stays half, widened where the kernels read it).
    public let weight: LayerWeight
    public let bias: Tensor?
    public let stride: Int
    public let padding: Padding2D
    /// The checkpoint key of the module (`….conv1`), by which a request's LoRA patches find it.
    public let key: String

    /// Reads `weight` and `bias` under `scope`.
    public init(_ scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true) {
        weight = scope.layerWeight("weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? scope.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = .uniform(padding)
        key = scope.registerLayer(weightShape: [outChannels, inChannels, kernel, kernel])
    }

    /// A convolution with explicit per-side padding (the VAE's `F.pad(x, (0, 1, 0, 1))` before a stride-2 conv).
    public init(_ scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Padding2D) {
        weight = scope.layerWeight("weight", shape: [outChannels, inChannels, kernel, kernel])
        bias = scope.tensor("bias", shape: [outChannels])
        self.stride = stride
        self.padding = padding
        key = scope.registerLayer(weightShape: [outChannels, inChannels, kernel, kernel])
    }

    /// `conv(x)` with `fusion` (an input map, a residual add) done in the convolution's own passes. A request's
    /// LoRA patch computes the layer its own way: it gets the mapped input, and the residual is added after.
    public func callAsFunction(_ x: Tensor, fusing fusion: Conv2DFusion = .none) -> Tensor {
        callAsFunction(x, padding: padding, fusing: fusion)
    }

    /// The same convolution with other padding (a row band of a larger input pads only at the image's edges).
    func callAsFunction(_ x: Tensor, padding: Padding2D, fusing fusion: Conv2DFusion = .none) -> Tensor {
        guard let patch = LayerPatches.current(key) else {
            return x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, fusing: fusion)
        }
        var output = patch.conv2d(fusion.input.applied(to: x), weight: weight, bias: bias, stride: stride,
                                  padding: padding)
        if let residual = fusion.residual { output.add(residual) }
        return output
    }
}

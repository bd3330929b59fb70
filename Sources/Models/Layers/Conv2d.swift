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

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let patch = LayerPatches.current(key) {
            return patch.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        }
        return x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// `self(x upsampled ×2 by nearest neighbour)` (diffusers' `Upsample2D`), without writing the upsampled
    /// tensor where the kernel can read `x` upsampled as it goes.
    public func callAsFunction(upsampling2x x: Tensor) -> Tensor {
        guard LayerPatches.current(key) == nil, stride == 1, padding == .uniform(padding.top) else {
            return self(x.upsampledNearest2x())
        }
        return x.conv2d(upsampling2x: weight, bias: bias, padding: padding.top)
    }

    /// `self(normalization(x)) (+ residual)` without writing the normalised input (GroupNorm → act → conv),
    /// and with the residual add of a ResNet block done as the output is written.
    public func callAsFunction(_ x: Tensor, normalizing normalization: ChannelNormalization? = nil,
                               adding residual: Tensor?) -> Tensor {
        if let patch = LayerPatches.current(key) {
            // A request's LoRA computes the layer its own way: give it the normalised input, add afterwards.
            let input = normalization.map { x.normalized(by: $0) } ?? x
            var output = patch.conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding)
            if let residual { output.add(residual) }
            return output
        }
        return x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, adding: residual,
                 normalizing: normalization)
    }
}

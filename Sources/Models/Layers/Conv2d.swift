// torch.nn.Conv2d as stored in checkpoints: `weight` [out, in, kh, kw] and an optional `bias` [out].

import Tensors

/// `torch.nn.Conv2d` with square kernel, stride and symmetric padding (NCHW).
public struct Conv2d {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Padding2D

    /// Reads `weight` and `bias` under `scope`.
    public init(_ scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true) {
        weight = scope.tensor("weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? scope.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = .uniform(padding)
    }

    /// A convolution with explicit per-side padding (the VAE's `F.pad(x, (0, 1, 0, 1))` before a stride-2 conv).
    public init(_ scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Padding2D) {
        weight = scope.tensor("weight", shape: [outChannels, inChannels, kernel, kernel])
        bias = scope.tensor("bias", shape: [outChannels])
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// `self(normalization(x)) (+ residual)` without writing the normalised input (GroupNorm → act → conv),
    /// and with the residual add of a ResNet block done as the output is written.
    public func callAsFunction(_ x: Tensor, normalizing normalization: ChannelNormalization? = nil,
                               adding residual: Tensor?) -> Tensor {
        x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, adding: residual,
                 normalizing: normalization)
    }
}

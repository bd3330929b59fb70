// The diffusers `Downsample2D` (a stride-2 3×3 conv; padding 0 means an explicit (0,1,0,1) pad, as the VAE
// uses) and `Upsample2D` (nearest ×2, or to the skip connection's size, then a 3×3 conv).

import Tensors

/// The diffusers `Downsample2D` with `use_conv=True`.
public struct Downsample2D {
    let conv: Conv2d

    public init(_ scope: WeightScope, channels: Int, outChannels: Int? = nil, padding: Int) {
        let out = outChannels ?? channels
        conv = padding == 0
            ? Conv2d(scope["conv"], inChannels: channels, outChannels: out, kernel: 3, stride: 2,
                     padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1))
            : Conv2d(scope["conv"], inChannels: channels, outChannels: out, kernel: 3, stride: 2, padding: padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { conv(x) }
}

/// The diffusers `Upsample2D` with `use_conv=True`.
public struct Upsample2D {
    let conv: Conv2d

    public init(_ scope: WeightScope, channels: Int, outChannels: Int? = nil) {
        conv = Conv2d(scope["conv"], inChannels: channels, outChannels: outChannels ?? channels, kernel: 3, padding: 1)
    }

    /// Upsamples ×2, or to `size` (height, width) when the UNet's input was not a multiple of its total stride.
    public func callAsFunction(_ x: Tensor, size: (Int, Int)? = nil) -> Tensor {
        if let size { return conv(x.upsampledNearest(height: size.0, width: size.1)) }
        // diffusers: conv(F.interpolate(hidden_states, scale_factor=2.0, mode="nearest"))
        return conv(x, fusing: .upsamplingNearest2x)
    }
}

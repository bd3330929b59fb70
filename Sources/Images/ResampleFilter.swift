// ResampleFilter: the interpolation kernels of Pillow's Resample.c, with the same support radii and the same
// floating-point expressions (so the fixed-point coefficients derived from them round identically).

import Foundation

/// A resampling kernel of Pillow's `Image.resize`.
public enum ResampleFilter: Sendable, CaseIterable {
    /// `Image.Resampling.LANCZOS`: windowed sinc, a = 3 (used by diffusers' VaeImageProcessor).
    case lanczos
    /// `Image.Resampling.BICUBIC`: cubic convolution, a = -0.5 (used by CLIP's image processor).
    case bicubic
    /// `Image.Resampling.BILINEAR`: the triangle kernel.
    case bilinear

    /// The kernel's radius in source pixels at scale 1 (Pillow's `filter.support`).
    var support: Double {
        switch self {
        case .lanczos: return 3
        case .bicubic: return 2
        case .bilinear: return 1
        }
    }

    /// The kernel's weight at distance `x`, written as Pillow writes it.
    func weight(_ x: Double) -> Double {
        switch self {
        case .lanczos: return Self.lanczos(x)
        case .bicubic: return Self.bicubic(x)
        case .bilinear: return Self.bilinear(x)
        }
    }

    private static func bilinear(_ x: Double) -> Double {
        let x = x < 0 ? -x : x
        return x < 1 ? 1 - x : 0
    }

    private static func bicubic(_ x: Double) -> Double {
        let a = -0.5
        let x = x < 0 ? -x : x
        if x < 1 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let angle = x * Double.pi
        return sin(angle) / angle
    }

    private static func lanczos(_ x: Double) -> Double {
        -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0
    }
}

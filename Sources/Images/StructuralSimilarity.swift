// SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) as scikit-image computes it with `gaussian_weights=True`:
// an 11×11 Gaussian window (σ 1.5, radius int(3.5σ + 0.5) = 5, weights normalised to sum 1), population
// (co)variances, K1 0.01, K2 0.03, data range 255; per channel on R, G and B, each the mean of the SSIM map
// over the window positions that lie wholly inside the image, then the mean of the three channels.
// How: separable weighted sums — along rows over every row, then along columns — of x, y, x², y² and xy,
// evaluated only at interior positions (skimage filters the whole image and crops the same 5-pixel border,
// so its padding never reaches the mean). Tests/Fixtures/gen_comparison.py computes the reference values.

import Foundation

/// Mean structural similarity of two RGB8 images.
public enum StructuralSimilarity {
    /// The Gaussian window's standard deviation, in pixels.
    public static let sigma = 1.5
    /// Half the window's side: int(3.5 σ + 0.5), as scipy's `gaussian_filter` truncates it.
    public static let radius = Int(3.5 * sigma + 0.5)
    static let k1 = 0.01, k2 = 0.03, dataRange = 255.0

    /// The normalised 1-D Gaussian weights for offsets −radius…radius.
    static let weights: [Double] = {
        let raw = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }()

    /// The mean SSIM of `a` and `b` (same size: `ImageComparison` checks) over R, G and B; nil when a side is
    /// shorter than the window.
    static func mean(_ a: RGBImage, _ b: RGBImage) -> Double? {
        precondition(a.width == b.width && a.height == b.height, "SSIM needs images of one size")
        let side = 2 * radius + 1
        guard a.width >= side, a.height >= side else { return nil }
        return (0..<3).map { channelMean(a, b, channel: $0) }.reduce(0, +) / 3
    }

    /// The mean of one channel's SSIM map over the interior positions.
    static func channelMean(_ a: RGBImage, _ b: RGBImage, channel: Int) -> Double {
        let width = a.width, height = a.height
        let x = stride(from: channel, to: a.pixels.count, by: 3).map { Double(a.pixels[$0]) }
        let y = stride(from: channel, to: b.pixels.count, by: 3).map { Double(b.pixels[$0]) }
        let ux = windowed(x, width: width, height: height)
        let uy = windowed(y, width: width, height: height)
        let uxx = windowed(zip(x, x).map(*), width: width, height: height)
        let uyy = windowed(zip(y, y).map(*), width: width, height: height)
        let uxy = windowed(zip(x, y).map(*), width: width, height: height)
        let c1 = (k1 * dataRange) * (k1 * dataRange), c2 = (k2 * dataRange) * (k2 * dataRange)
        var total = 0.0
        for i in ux.indices {
            let vx = uxx[i] - ux[i] * ux[i], vy = uyy[i] - uy[i] * uy[i], vxy = uxy[i] - ux[i] * uy[i]
            let numerator = (2 * ux[i] * uy[i] + c1) * (2 * vxy + c2)
            let denominator = (ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2)
            total += numerator / denominator
        }
        return total / Double(ux.count)
    }

    /// The Gaussian-weighted window sums of `values` (height × width, row-major) at every interior position:
    /// (height − 2r) × (width − 2r) values, row-major.
    static func windowed(_ values: [Double], width: Int, height: Int) -> [Double] {
        let innerWidth = width - 2 * radius, innerHeight = height - 2 * radius
        var rows = [Double](repeating: 0, count: height * innerWidth)
        for row in 0..<height {
            for column in 0..<innerWidth {
                var sum = 0.0
                for (k, weight) in weights.enumerated() { sum += weight * values[row * width + column + k] }
                rows[row * innerWidth + column] = sum
            }
        }
        var result = [Double](repeating: 0, count: innerHeight * innerWidth)
        for row in 0..<innerHeight {
            for column in 0..<innerWidth {
                var sum = 0.0
                for (k, weight) in weights.enumerated() { sum += weight * rows[(row + k) * innerWidth + column] }
                result[row * innerWidth + column] = sum
            }
        }
        return result
    }
}

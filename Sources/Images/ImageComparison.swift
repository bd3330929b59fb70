// How far one RGB8 image is from another, in the measures image-reproduction work reports: PSNR over every
// channel value (10·log10(255² / MSE), +∞ when identical), SSIM (StructuralSimilarity.swift), and the largest
// and mean absolute difference in levels. `img2img verify` judges a runner's image against ours with it.

import Foundation

/// Two images could not be compared.
public enum ImageComparisonError: Error, Equatable, CustomStringConvertible {
    case sizeMismatch(width: Int, height: Int, otherWidth: Int, otherHeight: Int)

    public var description: String {
        switch self {
        case let .sizeMismatch(width, height, otherWidth, otherHeight):
            return "the images differ in size (\(width)×\(height) and \(otherWidth)×\(otherHeight)); "
                + "only images of one size can be compared pixel by pixel"
        }
    }
}

/// The differences between two images of the same size.
public struct ImageComparison: Equatable, Sendable {
    /// Peak signal-to-noise ratio in dB over every channel value; `.infinity` for identical images.
    public let psnr: Double
    /// Mean SSIM over R, G and B (see `StructuralSimilarity`); nil when a side is shorter than its 11-pixel window.
    public let ssim: Double?
    /// The largest |a − b| of any channel value, in levels (0…255).
    public let maxAbsDifference: Int
    /// The mean |a − b| over every channel value, in levels.
    public let meanAbsDifference: Double

    /// Compares `a` with `b`; throws when their sizes differ.
    public init(_ a: RGBImage, _ b: RGBImage) throws(ImageComparisonError) {
        guard a.width == b.width, a.height == b.height else {
            throw .sizeMismatch(width: a.width, height: a.height, otherWidth: b.width, otherHeight: b.height)
        }
        var squares = 0, absolutes = 0, largest = 0
        for (x, y) in zip(a.pixels, b.pixels) {
            let d = abs(Int(x) - Int(y))
            squares += d * d
            absolutes += d
            largest = max(largest, d)
        }
        let count = Double(a.pixels.count)
        let mse = Double(squares) / count
        psnr = mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
        ssim = StructuralSimilarity.mean(a, b)
        maxAbsDifference = largest
        meanAbsDifference = Double(absolutes) / count
    }
}

// A picture of where two images differ: each pixel coloured by d = max over R, G, B of |a − b|, scaled so the
// largest difference of the pair is white (t = d / max(1, largest d)), through matplotlib's "hot" ramp —
// black → red → yellow → white: r = clip(3t), g = clip(3t − 1), b = clip(3t − 2), rounded to levels. Identical
// images give a black picture; a single differing pixel stands out wherever it is.

/// The difference heat-map of two images of one size.
public enum DifferenceHeatMap {
    /// The heat-map of `a` against `b`; throws when their sizes differ.
    public static func render(_ a: RGBImage, _ b: RGBImage) throws(ImageComparisonError) -> RGBImage {
        guard a.width == b.width, a.height == b.height else {
            throw .sizeMismatch(width: a.width, height: a.height, otherWidth: b.width, otherHeight: b.height)
        }
        var differences = [Int](repeating: 0, count: a.width * a.height)
        for pixel in differences.indices {
            for channel in 0..<3 {
                let index = pixel * 3 + channel
                differences[pixel] = max(differences[pixel], abs(Int(a.pixels[index]) - Int(b.pixels[index])))
            }
        }
        let fullScale = Double(max(1, differences.max() ?? 0))
        var pixels = [UInt8](repeating: 0, count: a.pixels.count)
        for (pixel, d) in differences.enumerated() {
            let t = Double(d) / fullScale
            for channel in 0..<3 {
                let level = min(1, max(0, 3 * t - Double(channel)))
                pixels[pixel * 3 + channel] = UInt8((level * 255 + 0.5).rounded(.down))
            }
        }
        return RGBImage(validatedWidth: a.width, height: a.height, pixels: pixels)
    }
}

// RGBImage: an 8-bit RGB raster, interleaved (R, G, B per pixel) and row-major, top row first.
// It is the common currency of the decoders, the resampler and the PNG encoder.

/// An 8-bit-per-channel RGB image: `pixels` holds `width * height * 3` bytes, R G B per pixel, rows top to bottom.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// Wraps `pixels` (R G B interleaved, row-major); fails unless it holds exactly `width * height * 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else { throw ImageError.zeroSize(width: width, height: height) }
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, area <= Int.max / 3, pixels.count == area * 3 else {
            throw ImageError.pixelCountMismatch(width: width, height: height, byteCount: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Builds an image from pixels whose size the caller has already checked.
    init(validatedWidth width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "internal error: RGB buffer size does not match")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The number of bytes in one row (`width * 3`).
    public var rowBytes: Int { width * 3 }
}

// ImageDecoder: the entry point that turns an uploaded file into RGB8 pixels equal to Pillow's
// `Image.open(f).convert("RGB")`: detect the format by its signature, check the declared size against a
// pixel limit before allocating anything, then hand over to the PNG or JPEG decoder.

import Foundation

/// Decodes PNG and JPEG files to `RGBImage`, matching Pillow's `Image.open(f).convert("RGB")`.
public enum ImageDecoder {
    /// The default limit on width × height (4096 × 4096).
    public static let defaultMaxPixels = 4096 * 4096

    /// Decodes a PNG or JPEG file; refuses images above `maxPixels` pixels before allocating their buffers.
    /// EXIF orientation is not applied (Pillow's `open` does not apply it either).
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        switch ImageFormat.detect(bytes) {
        case .png: return try PNGDecoder.decode(bytes, maxPixels: maxPixels)
        case .jpeg: return try JPEGDecoder.decode(bytes, maxPixels: maxPixels)
        case nil: throw ImageError.unknownFormat(leadingBytes: Array(bytes.prefix(8)))
        }
    }

    /// Decodes a PNG or JPEG file held in `data`; see `decode(_:maxPixels:)` for `[UInt8]`.
    public static func decode(_ data: Data, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        try decode([UInt8](data), maxPixels: maxPixels)
    }

    /// Throws unless the declared size is non-empty and at most `maxPixels` pixels.
    static func checkSize(format: ImageFormat, width: Int, height: Int, maxPixels: Int) throws {
        guard width > 0, height > 0 else { throw ImageError.zeroSize(width: width, height: height) }
        guard width <= maxPixels / height else {  // width × height ≤ maxPixels, without overflowing
            throw ImageError.tooLarge(format: format, width: width, height: height, maxPixels: maxPixels)
        }
    }
}

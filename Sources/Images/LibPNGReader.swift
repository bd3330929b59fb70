// LibPNGReader: one pass of libpng's simplified read API (png_image_begin_read_from_memory +
// png_image_finish_read) into a buffer of a chosen png_image format. The simplified API reports failures
// through png_image.warning_or_error and png_image.message instead of longjmp, so it is safe to call from Swift.

import CLibPNG

/// The png_image formats used here, built from png.h's flags (Swift does not import the composite macros).
enum PNGImageFormat {
    static let rgb = UInt32(PNG_FORMAT_FLAG_COLOR)
    static let rgba = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
    static let linearGray = UInt32(PNG_FORMAT_FLAG_LINEAR)
    static let linearRGB = UInt32(PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR)
    static let linearRGBA = UInt32(PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
}

/// Reads a whole PNG held in memory through libpng's simplified API.
enum LibPNGReader {
    /// The decoded samples of one read: `width * height * channels` values, rows top to bottom.
    struct Samples<Sample> {
        var width: Int
        var height: Int
        var values: [Sample]
    }

    /// Decodes `png` into `format` (a PNG_FORMAT_* value with `channels` samples per pixel of type `Sample`:
    /// UInt8 for the 8-bit formats, UInt16 for PNG_FORMAT_FLAG_LINEAR ones). `flags` are OR-ed into
    /// png_image.flags before the read (e.g. PNG_IMAGE_FLAG_16BIT_sRGB).
    static func read<Sample: FixedWidthInteger>(_ png: [UInt8], format: UInt32, channels: Int,
                                                flags: UInt32 = 0, as _: Sample.Type) throws -> Samples<Sample> {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        // libpng reads from `png`'s storage until finish_read returns, so both calls share one borrow.
        return try png.withUnsafeBytes { source in
            guard png_image_begin_read_from_memory(&image, source.baseAddress, source.count) != 0 else {
                throw failure(of: image)
            }
            image.format = format
            image.flags |= flags
            let width = Int(image.width), height = Int(image.height)
            var values = [Sample](repeating: 0, count: width * height * channels)
            let finished = values.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard finished != 0 else { throw failure(of: image) }
            return Samples(width: width, height: height, values: values)
        }
    }

    private static func failure(of image: png_image) -> ImageError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .corrupt(format: .png, detail: text.isEmpty ? "libpng reported an error without a message" : text)
    }
}

// PNG encoding of an RGBImage through libpng's simplified write API (png_image_write_to_memory): an 8-bit
// RGB PNG, non-interlaced, default compression. The buffer is sized from a generous first guess and grown
// to the size libpng asks for if the guess was short.

import CLibPNG

extension RGBImage {
    /// Encodes the image as an 8-bit RGB PNG file.
    public func pngData() throws -> [UInt8] {
        guard width <= Int(Int32.max) / 3, height <= Int(Int32.max) else {
            throw ImageError.encodingFailed(detail: "\(width)×\(height) exceeds the PNG size limit")
        }
        var capacity = pixels.count + pixels.count / 8 + height + 1024
        for _ in 0..<2 {
            if let encoded = try encodePNG(capacity: &capacity) { return encoded }
        }
        throw ImageError.encodingFailed(detail: "libpng kept asking for a larger buffer (\(capacity) bytes)")
    }

    /// One write attempt into `capacity` bytes; nil (with `capacity` raised) when libpng needs more room.
    private func encodePNG(capacity: inout Int) throws -> [UInt8]? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = PNGImageFormat.rgb
        defer { png_image_free(&image) }
        var output = [UInt8](repeating: 0, count: capacity)
        var written = capacity
        let succeeded = pixels.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                png_image_write_to_memory(&image, destination.baseAddress, &written, 0, source.baseAddress, 0, nil)
            }
        }
        if succeeded != 0 {
            output.removeSubrange(written...)
            return output
        }
        guard written > capacity else {
            var message = image.message
            let text = withUnsafeBytes(of: &message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError.encodingFailed(detail: text.isEmpty ? "libpng reported an error" : text)
        }
        capacity = written
        return nil
    }
}

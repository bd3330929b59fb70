// ImageError: every way decoding, encoding or resizing an image can fail, with a message a user can act on.

/// An error from decoding, encoding or building an image.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The bytes start with neither the PNG nor the JPEG signature.
    case unknownFormat(leadingBytes: [UInt8])
    /// The header declares more pixels than the decoder was allowed to allocate.
    case tooLarge(format: ImageFormat, width: Int, height: Int, maxPixels: Int)
    /// The image has no pixels (a width or a height of zero).
    case zeroSize(width: Int, height: Int)
    /// The file ends before the image data does.
    case truncated(format: ImageFormat, detail: String)
    /// The file is damaged or not a valid image of its format; `detail` is the decoding library's message.
    case corrupt(format: ImageFormat, detail: String)
    /// The file is valid but uses a feature this decoder does not handle.
    case unsupported(format: ImageFormat, detail: String)
    /// A pixel buffer does not hold `width * height * 3` bytes.
    case pixelCountMismatch(width: Int, height: Int, byteCount: Int)
    /// libpng could not encode the image.
    case encodingFailed(detail: String)

    public var description: String {
        switch self {
        case .unknownFormat(let leadingBytes):
            let hex = leadingBytes.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "unrecognised image format (first bytes: \(hex.isEmpty ? "none" : hex)); send a PNG or JPEG file"
        case .tooLarge(let format, let width, let height, let maxPixels):
            return "\(format) image is \(width)×\(height) pixels, above the limit of \(maxPixels) pixels; "
                + "send a smaller image"
        case .zeroSize(let width, let height):
            return "image is \(width)×\(height): it has no pixels"
        case .truncated(let format, let detail):
            return "\(format) file is truncated (\(detail)); send the complete file"
        case .corrupt(let format, let detail):
            return "\(format) file is corrupt: \(detail)"
        case .unsupported(let format, let detail):
            return "\(format) file uses an unsupported feature: \(detail)"
        case .pixelCountMismatch(let width, let height, let byteCount):
            return "an RGB image of \(width)×\(height) needs width × height × 3 bytes, got \(byteCount)"
        case .encodingFailed(let detail):
            return "PNG encoding failed: \(detail)"
        }
    }
}

// ImageFormat: which codec a byte stream needs, recognised from its leading signature bytes.

/// The encoded image formats the decoder accepts.
public enum ImageFormat: String, Equatable, Sendable, CustomStringConvertible {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format whose signature `bytes` start with, or nil when neither matches.
    public static func detect<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        if bytes.starts(with: pngSignature) { return .png }
        if bytes.starts(with: jpegSignature) { return .jpeg }
        return nil
    }

    public var description: String { rawValue }

    /// The eight bytes every PNG file starts with.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// A JPEG's start-of-image marker followed by the first byte of the next marker.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
}

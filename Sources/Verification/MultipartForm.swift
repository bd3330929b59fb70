// A multipart/form-data body (RFC 7578) as a browser or `curl -F` sends one: text parts and file parts, each
// with its Content-Disposition; quotes and line breaks in names are percent-escaped as the HTML standard
// does. The boundary is random, so a prompt or an image cannot contain it by accident.

import Foundation

/// A multipart/form-data body being built.
public struct MultipartForm: Sendable {
    /// The delimiter between parts (without the leading dashes).
    public let boundary: String
    private var parts: [UInt8] = []

    public init(boundary: String = MultipartForm.randomBoundary()) {
        self.boundary = boundary
    }

    /// A boundary of 32 random hex digits after a fixed prefix.
    public static func randomBoundary() -> String {
        "img2img-verify-" + (0..<4).map { _ in
            let digits = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }.joined()
    }

    /// The header value announcing this body.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a text field.
    public mutating func addText(name: String, value: String) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escaped(name))\"\r\n\r\n")
        parts += Array(value.utf8)
        append("\r\n")
    }

    /// Adds a file field.
    public mutating func addFile(name: String, filename: String, contentType: String, bytes: [UInt8]) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escaped(name))\"; "
               + "filename=\"\(Self.escaped(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n")
        parts += bytes
        append("\r\n")
    }

    /// The whole body, closing delimiter included.
    public var bytes: [UInt8] { parts + Array("--\(boundary)--\r\n".utf8) }

    private mutating func append(_ text: String) { parts += Array(text.utf8) }

    /// `"` → %22, CR → %0D, LF → %0A, as the HTML standard encodes names and file names in form data.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}

// The fields of a request body as Starlette hands them to FastAPI: multipart/form-data split by MultipartKit's
// parser (a part with a `filename` parameter is a file, else text), application/x-www-form-urlencoded split on
// `&` and `=`, and any other body as an empty form. A later field of the same name replaces an earlier one.
// Like python-multipart, a malformed multipart body yields the fields read before the damage (MultipartSafePrefix
// keeps a non-ASCII byte in a part-header name from trapping in MultipartKit); a boundary outside printable
// ASCII yields no fields.

import Foundation
import MultipartKit
import NIOCore

/// One form field: text, or an uploaded file with its part headers.
enum FormValue: Equatable, Sendable {
    case text(String)
    case file(UploadedFile)
}

/// An uploaded file part.
struct UploadedFile: Equatable, Sendable {
    var filename: String
    /// The part's headers, names lower-cased, in order.
    var headers: [(name: String, value: String)]
    var bytes: [UInt8]

    static func == (lhs: UploadedFile, rhs: UploadedFile) -> Bool {
        lhs.filename == rhs.filename && lhs.bytes == rhs.bytes
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// The fields of a submitted form, the last value of each name.
struct SubmittedForm: Sendable {
    private(set) var values: [String: FormValue] = [:]

    subscript(name: String) -> FormValue? { values[name] }

    /// Splits `body` according to the request's Content-Type header.
    init(body: ByteBuffer, contentType: String?) {
        let mediaType = contentType.map(HeaderParameters.init(headerValue:))
        switch mediaType?.value.lowercased() {
        case "multipart/form-data":
            if let boundary = mediaType?.parameters["boundary"], !boundary.isEmpty {
                values = SubmittedForm.multipartFields(body, boundary: boundary)
            }
        case "application/x-www-form-urlencoded":
            values = SubmittedForm.urlEncodedFields(String(buffer: body))
        default:
            break
        }
    }

    init(values: [String: FormValue]) { self.values = values }

    private static func multipartFields(_ body: ByteBuffer, boundary: String) -> [String: FormValue] {
        var fields: [String: FormValue] = [:]
        var headers: [(name: String, value: String)] = []
        var content: [UInt8] = []
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.append((name.lowercased(), value)) }
        parser.onBody = { chunk in content += chunk.readableBytesView }
        parser.onPartComplete = {
            if let (name, value) = formValue(headers: headers, content: content) { fields[name] = value }
            headers = []
            content = []
        }
        // A syntax error ends the form where it happened, keeping the fields completed before it.
        guard let safeLength = MultipartSafePrefix.length(of: body, boundary: boundary) else { return [:] }
        try? parser.execute(body.getSlice(at: body.readerIndex, length: safeLength) ?? ByteBuffer())
        return fields
    }

    /// A completed part as a named field; nil when it has no Content-Disposition name.
    private static func formValue(headers: [(name: String, value: String)], content: [UInt8]) -> (String, FormValue)? {
        guard let disposition = headers.last(where: { $0.name == "content-disposition" }) else { return nil }
        let parameters = HeaderParameters(headerValue: disposition.value).parameters
        guard let name = parameters["name"] else { return nil }
        if let filename = parameters["filename"] {
            return (name, .file(UploadedFile(filename: filename, headers: headers, bytes: content)))
        }
        return (name, .text(String(decoding: content, as: UTF8.self)))
    }

    private static func urlEncodedFields(_ text: String) -> [String: FormValue] {
        var fields: [String: FormValue] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0])
            fields[name] = .text(parts.count > 1 ? percentDecoded(parts[1]) : "")
        }
        return fields
    }

    /// `+` → space, `%XX` → byte; malformed escapes are kept as they are.
    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.first {
            input = input.dropFirst()
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), input.count >= 2,
                      let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                input = input.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A header value of the form `value; key=param; key="quoted param"`.
struct HeaderParameters {
    let value: String
    /// Parameter names lower-cased; quoted values unquoted (with `\"` escapes resolved).
    let parameters: [String: String]

    init(headerValue: String) {
        var pieces: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in headerValue {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" && inQuotes { current.append(character); escaped = true; continue }
            if character == "\"" { inQuotes.toggle() }
            if character == ";" && !inQuotes { pieces.append(current); current = ""; continue }
            current.append(character)
        }
        pieces.append(current)
        value = pieces[0].trimmingSpaces
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingSpaces.lowercased()
            var raw = piece[piece.index(after: equals)...].trimmingSpaces
            if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") {
                raw = String(raw.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                    .replacingOccurrences(of: "\\\\", with: "\\")
            }
            if parameters[key] == nil { parameters[key] = raw }
        }
        self.parameters = parameters
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

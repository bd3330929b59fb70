// MultipartKit 4.7.1's parser means to refuse a part-header name byte outside its 128-entry table of token
// characters with a syntax error, but indexes the table with the byte unchecked: a byte ≥ 0x80 in a part header's
// name traps (index out of range) and takes the server down with it (found by Fuzz/FuzzMultipartForm). Until the
// dependency checks the range, the body is cut where that byte would be read. A dry run parses a stand-in copy in
// which every byte ≥ 0x80 reads as DEL (0x7F): the parser treats the two alike everywhere — they match no
// delimiter, CR, LF, colon or boundary byte — except in a header name, where DEL gets the intended syntax error.
// The real parse then reads the longest prefix the dry run accepts: the fields completed before the damage, as
// the intended error would have left them.

import MultipartKit
import NIOCore

/// How much of a multipart body MultipartKit can parse without reaching its header-name trap.
enum MultipartSafePrefix {
    /// The length of the longest prefix of `body` that parses with `boundary` without a syntax error; nil when the
    /// boundary holds a byte outside printable ASCII (RFC 2046 allows none), for which DEL cannot stand in.
    static func length(of body: ByteBuffer, boundary: String) -> Int? {
        guard boundary.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let standIn = body.readableBytesView.map { $0 >= 0x80 ? 0x7F : $0 }
        func parses(_ count: Int) -> Bool {
            (try? MultipartParser(boundary: boundary).execute(ByteBuffer(bytes: standIn[..<count]))) != nil
        }
        if parses(standIn.count) { return standIn.count }
        // The parser reads a stream: once a prefix fails, every longer one does. Search for the last that passes.
        var passing = 0, failing = standIn.count
        while failing - passing > 1 {
            let middle = passing + (failing - passing) / 2
            if parses(middle) { passing = middle } else { failing = middle }
        }
        return passing
    }
}

// Writes tensors as a safetensors file the way the official library lays it out: compact JSON header
// (`__metadata__` first, then entries in data order) padded with spaces to a multiple of 8, then the data.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Tensors

/// Serialises named Float tensors to safetensors bytes or files, narrowing to F16/BF16 on request.
public enum SafeTensorsWriter {
    /// The complete file as bytes; tensors are stored in UTF-8 byte order of their names.
    public static func serialize(_ tensors: [(name: String, tensor: Tensor)], dtype: SafeTensorsDType = .f32,
                                 metadata: [String: String] = [:]) throws -> [UInt8] {
        let layout = try SafeTensorsLayout(tensors.map { ($0.name, $0.tensor.shape) }, dtype: dtype, metadata: metadata)
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var file = [UInt8](repeating: 0, count: 8 + layout.header.count + layout.dataBytes)
        file.withUnsafeMutableBytes { out in
            layout.writePrefix(into: out)
            var offset = 8 + layout.header.count
            for (name, _) in layout.ordered {
                let tensor = byName[name]!
                let size = tensor.count * dtype.byteSize
                encode(tensor, as: dtype, into: UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + size)]))
                offset += size
            }
        }
        return file
    }

    /// Writes the file to `url` (replacing it), one tensor at a time.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], to url: URL, dtype: SafeTensorsDType = .f32,
                             metadata: [String: String] = [:]) throws {
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        try write(streaming: tensors.map { ($0.name, $0.tensor.shape) }, to: url, dtype: dtype, metadata: metadata) { name, _ in
            byName[name]!
        }
    }

    /// Writes a file whose tensors `produce(name, shape)` makes one at a time, in file order, so a checkpoint
    /// larger than memory can be written; a produced tensor must have the announced shape.
    public static func write(streaming entries: [(name: String, shape: [Int])], to url: URL,
                             dtype: SafeTensorsDType = .f32, metadata: [String: String] = [:],
                             produce: (String, [Int]) throws -> Tensor) throws {
        let layout = try SafeTensorsLayout(entries, dtype: dtype, metadata: metadata)
        let path = url.path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw writeError(path, "open failed") }
        defer { close(descriptor) }
        var prefix = [UInt8](repeating: 0, count: 8 + layout.header.count)
        prefix.withUnsafeMutableBytes { layout.writePrefix(into: $0) }
        try prefix.withUnsafeBytes { try writeAll($0, to: descriptor, path: path) }
        for (name, shape) in layout.ordered {
            let tensor = try produce(name, shape)
            guard tensor.shape == shape else {
                throw SafeTensorsError.writerInvalidName(name, reason: "produced shape \(tensor.shape) differs from the announced \(shape)")
            }
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: tensor.count * dtype.byteSize, alignment: 64)
            defer { chunk.deallocate() }
            encode(tensor, as: dtype, into: chunk)
            try writeAll(UnsafeRawBufferPointer(chunk), to: descriptor, path: path)
        }
    }

    /// Stores the tensor's elements as little-endian `dtype` (F32, F16 or BF16) into `out`.
    private static func encode(_ tensor: Tensor, as dtype: SafeTensorsDType, into out: UnsafeMutableRawBufferPointer) {
        tensor.withUnsafeBufferPointer { values in
            switch dtype {
            case .f16:
                for (index, value) in values.enumerated() {
                    out.storeBytes(of: halfBits(from: value).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
                }
            case .bf16:
                for (index, value) in values.enumerated() {
                    out.storeBytes(of: bfloat16Bits(from: value).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
                }
            default:
                for (index, value) in values.enumerated() {
                    out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * index, as: UInt32.self)
                }
            }
        }
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw writeError(path, "write failed") }
            offset += written
        }
    }

    private static func writeError(_ path: String, _ what: String) -> SafeTensorsError {
        .writeFailed(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// POSIX `write(2)` (the name `write` is taken by `SafeTensorsWriter.write` inside the enum).
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// The header bytes and tensor order of a file about to be written.
private struct SafeTensorsLayout {
    let header: [UInt8]
    let ordered: [(name: String, shape: [Int])]
    let dataBytes: Int

    init(_ tensors: [(name: String, shape: [Int])], dtype: SafeTensorsDType, metadata: [String: String]) throws {
        guard dtype == .f32 || dtype == .f16 || dtype == .bf16 else { throw SafeTensorsError.writerUnsupportedDtype(dtype) }
        var seen = Set<String>()
        for (name, _) in tensors {
            if name == "__metadata__" { throw SafeTensorsError.writerInvalidName(name, reason: "the name is reserved for metadata") }
            if !seen.insert(name).inserted { throw SafeTensorsError.writerInvalidName(name, reason: "the name appears twice") }
        }
        ordered = tensors.sorted { utf8Precedes($0.name, $1.name) }

        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted(by: utf8Precedes).map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            members.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, extents) in ordered {
            let end = offset + Tensor.elementCount(of: extents) * dtype.byteSize
            let shape = extents.map(String.init).joined(separator: ",")
            members.append("\(jsonString(name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        self.header = header
        dataBytes = offset
    }

    /// Writes the 8-byte little-endian header length and the header into the start of `out`.
    func writePrefix(into out: UnsafeMutableRawBufferPointer) {
        out.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 0, as: UInt64.self)
        UnsafeMutableRawBufferPointer(rebasing: out[8..<(8 + header.count)]).copyBytes(from: header)
    }
}

/// `text` as a JSON string literal, escaped as serde_json does (`\"`, `\\`, `\n`…, other controls as `\u00xx`).
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case "\u{00}"..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

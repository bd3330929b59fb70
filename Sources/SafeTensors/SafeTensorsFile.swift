// A validated safetensors file held in memory-mapped (or copied) bytes: names, metadata, per-tensor
// header info, the raw bytes of each tensor, and tensors widened to Float on request.

import Foundation
import Tensors

/// A safetensors file, validated on open; tensors are read lazily from the mapped bytes.
public final class SafeTensorsFile: TensorSource {
    private let bytes: FileBytes
    private let header: SafeTensorsHeader

    /// The tensor names in byte order of their UTF-8 spelling.
    public let names: [String]

    /// Memory-maps the file at `url` read-only and validates it.
    public convenience init(contentsOf url: URL) throws {
        try self.init(fileBytes: try FileBytes(mapping: url))
    }

    /// Validates a safetensors file held in `bytes` (copied).
    public convenience init(bytes: [UInt8]) throws {
        try self.init(fileBytes: FileBytes(copying: bytes))
    }

    private init(fileBytes: FileBytes) throws {
        bytes = fileBytes
        header = try SafeTensorsHeader(file: fileBytes.buffer)
        names = header.tensors.keys.sorted(by: utf8Precedes)
    }

    /// The string→string `__metadata__` map (empty when the header has none).
    public var metadata: [String: String] { header.metadata }

    public var halfPrecisionBytes: Int {
        header.tensors.values.reduce(0) { $0 + ($1.dtype == .f16 ? $1.byteRange.count : 0) }
    }

    /// The header entry of the named tensor, or nil.
    public func info(_ name: String) -> SafeTensorsTensorInfo? { header.tensors[name] }

    /// The named tensor widened to Float (F32, F16, BF16, F64, I64 or I32).
    public func tensor(_ name: String) throws -> Tensor {
        let (info, raw) = try entry(name)
        guard info.dtype.isWidenableToFloat else { throw SafeTensorsError.unsupportedDtype(name: name, dtype: info.dtype) }
        var result = Tensor(uninitialized: info.shape)
        _ = result.withUnsafeMutableBufferPointer { widenToFloat(raw, dtype: info.dtype, into: $0) }
        return result
    }

    /// The named tensor as a layer weight: F16 values are read in place from the mapping (copied when
    /// misaligned), other dtypes widened to Float.
    public func layerWeight(_ name: String) throws -> LayerWeight {
        let (info, raw) = try entry(name)
        guard info.dtype == .f16 else { return LayerWeight(try tensor(name)) }
        let values: HalfValues
        if let base = raw.baseAddress, Int(bitPattern: base) % 2 == 0 {
            values = HalfValues(bits: base.assumingMemoryBound(to: UInt16.self), count: info.elementCount, owner: bytes)
        } else {
            values = HalfValues(copying: raw)
        }
        return LayerWeight(half: values, shape: info.shape)
    }

    /// Drops the file's mapped pages from the resident set (see `TensorSource.releaseResidentPages`).
    public func releaseResidentPages() { bytes.releaseResidentPages() }

    /// The tensor's bytes inside the file, valid while this object is alive.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        try entry(name).raw
    }

    private func entry(_ name: String) throws -> (info: SafeTensorsTensorInfo, raw: UnsafeRawBufferPointer) {
        guard let info = header.tensors[name] else { throw SafeTensorsError.tensorNotFound(name) }
        let start = header.dataOffset + info.byteRange.lowerBound
        let raw = UnsafeRawBufferPointer(rebasing: bytes.buffer[start..<(start + info.byteRange.count)])
        return (info, raw)
    }
}

/// Orders strings by their UTF-8 bytes, as the official library (Rust `String` order) does.
func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

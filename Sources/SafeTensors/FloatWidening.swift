// Widens packed little-endian tensor bytes (F32, F16, BF16, F64, I64, I32) into Float storage:
// one tight loop per dtype over unaligned loads, split into contiguous chunks across cores.

import Tensors

/// Widens the packed elements of `dtype` in `source` into `destination`; returns false for a dtype
/// that cannot be widened. `source.count` must be `destination.count × dtype.byteSize`.
@discardableResult
public func widenToFloat(_ source: UnsafeRawBufferPointer, dtype: SafeTensorsDType,
                         into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
    precondition(source.count == destination.count * dtype.byteSize, "widenToFloat: byte count mismatch")
    switch dtype {
    case .f32: widenElements(source, into: destination) { (bits: UInt32) in Float(bitPattern: UInt32(littleEndian: bits)) }
    case .f16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        // The hardware conversion (F16C / NEON), exact like floatFromHalfBits and an order of magnitude faster.
        widenElements(source, into: destination) { (bits: UInt16) in Float(Float16(bitPattern: UInt16(littleEndian: bits))) }
        #else
        widenElements(source, into: destination) { (bits: UInt16) in floatFromHalfBits(UInt16(littleEndian: bits)) }
        #endif
    case .bf16: widenElements(source, into: destination) { (bits: UInt16) in floatFromBFloat16Bits(UInt16(littleEndian: bits)) }
    case .f64: widenElements(source, into: destination) { (bits: UInt64) in Float(Double(bitPattern: UInt64(littleEndian: bits))) }
    case .i64: widenElements(source, into: destination) { (value: Int64) in Float(Int64(littleEndian: value)) }
    case .i32: widenElements(source, into: destination) { (value: Int32) in Float(Int32(littleEndian: value)) }
    default: return false
    }
    return true
}

/// Applies `convert` to each packed `Element` of `source`, writing `destination`, in parallel chunks.
@inline(__always)
private func widenElements<Element: FixedWidthInteger>(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>,
    _ convert: (Element) -> Float
) {
    guard let sourceBase = source.baseAddress, let destinationBase = destination.baseAddress else { return }
    let stride = MemoryLayout<Element>.size
    parallelChunks(destination.count, minimumChunk: 1 << 16) { range in
        for index in range {
            destinationBase[index] = convert(sourceBase.loadUnaligned(fromByteOffset: index * stride, as: Element.self))
        }
    }
}

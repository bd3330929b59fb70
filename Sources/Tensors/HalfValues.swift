// IEEE half-precision values kept as stored (2 bytes each, often straight from a mapped checkpoint file) and
// widened to Float32 exactly, in runs, where a kernel reads them (the hardware conversion: F16C / NEON).

/// Read-only IEEE half values that stay valid as long as this object (and the `owner` it keeps alive) lives.
public final class HalfValues: @unchecked Sendable {
    /// The values' bit patterns.
    public let bits: UnsafePointer<UInt16>
    public let count: Int
    private let owner: AnyObject?
    private let ownsBits: Bool

    /// Values in memory `owner` keeps alive (e.g. the mapping of the file they were read from).
    public init(bits: UnsafePointer<UInt16>, count: Int, owner: AnyObject) {
        self.bits = bits
        self.count = count
        self.owner = owner
        ownsBits = false
    }

    /// Values copied into memory this object owns.
    public init(copying values: UnsafeRawBufferPointer) {
        count = values.count / 2
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(values.count, 2), alignment: 64)
        if let base = values.baseAddress { copy.copyMemory(from: base, byteCount: values.count) }
        bits = UnsafePointer(copy.bindMemory(to: UInt16.self, capacity: max(count, 1)))
        owner = nil
        ownsBits = true
    }

    /// The values `range` widened to Float32 into `destination` (exact: every half is a float).
    @inlinable
    public func widen(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "half values: \(range) outside 0..<\(count)")
        HalfValues.widen(bits + range.lowerBound, destination, count: range.count)
    }

    /// Float32 of `count` half bit patterns.
    @inlinable @inline(__always)
    public static func widen(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = Float(Float16(bitPattern: source[i])) }
    }

    deinit {
        if ownsBits { UnsafeMutableRawPointer(mutating: bits).deallocate() }
    }
}

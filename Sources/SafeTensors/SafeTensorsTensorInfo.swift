// What the header says about one tensor: element type, shape, and where its bytes lie.
// `byteRange` is relative to the start of the data section (the bytes after the header).

/// The header entry of one tensor: dtype, shape and byte range within the data section.
public struct SafeTensorsTensorInfo: Equatable, Sendable {
    /// Element type.
    public let dtype: SafeTensorsDType
    /// Extent of each dimension, outermost first; empty for a 0-d scalar.
    public let shape: [Int]
    /// The tensor's bytes, as offsets from the start of the data section.
    public let byteRange: Range<Int>

    /// An entry as it appears in a header.
    public init(dtype: SafeTensorsDType, shape: [Int], byteRange: Range<Int>) {
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Number of elements (product of the shape).
    public var elementCount: Int { shape.reduce(1, *) }
}

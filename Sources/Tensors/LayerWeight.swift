// A Linear's or Conv2d's weight in the precision its checkpoint stores: Float32 as a Tensor, or IEEE half kept
// at 2 bytes a value (half the memory) and widened block by block where a kernel reads it (WeightProducts.swift).
// Both give the same numbers: widening a half to Float32 is exact.

/// A layer weight `[rows, …]` (row = one output feature or channel), stored as Float32 or as IEEE half.
public struct LayerWeight {
    /// The weight's shape, `[out, in]` or `[out, in, kh, kw]`.
    public let shape: [Int]
    let storage: Storage

    enum Storage {
        case float(Tensor)
        case half(HalfValues)
    }

    /// A Float32 weight (shares the tensor's storage).
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        storage = .float(tensor)
    }

    /// A half-precision weight of `shape` over `values`.
    public init(half values: HalfValues, shape: [Int]) {
        precondition(values.count == Tensor.elementCount(of: shape), "\(values.count) half values do not fill \(shape)")
        self.shape = shape
        storage = .half(values)
    }

    public var count: Int { Tensor.elementCount(of: shape) }
    /// Output features (Linear) or channels (Conv2d).
    public var rows: Int { shape[0] }
    /// Values per row: in features, or in channels × kernel height × width.
    public var rowLength: Int { rows == 0 ? 0 : count / rows }
    /// Whether the values are held as IEEE half.
    public var isHalf: Bool { if case .half = storage { return true } else { return false } }

    /// The same values under another shape of equal size (a `[out, in, 1, 1]` conv weight used as `[out, in]`).
    public func reshaped(_ newShape: [Int]) -> LayerWeight {
        switch storage {
        case .float(let tensor): return LayerWeight(tensor.reshaped(newShape))
        case .half(let values): return LayerWeight(half: values, shape: newShape)
        }
    }

    /// The weight as a Float32 tensor: the stored one, or a widened copy of the half values.
    public var floatTensor: Tensor {
        switch storage {
        case .float(let tensor): return tensor
        case .half(let values):
            var tensor = Tensor(uninitialized: shape)
            tensor.withUnsafeMutableBufferPointer { out in
                parallelChunks(values.count, minimumChunk: 1 << 16) { range in
                    values.widen(range, into: out.baseAddress! + range.lowerBound)
                }
            }
            return tensor
        }
    }

    /// Row `row` (an embedding table's entry) as Float32 into `destination` (room for `rowLength` floats).
    public func copyRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) outside 0..<\(rows)")
        floatRows(row..<(row + 1), scratch: destination) { source in
            if source != UnsafePointer(destination) { destination.update(from: source, count: rowLength) }
        }
    }

    /// Rows `rows` as Float32: a pointer into the tensor, or the half values widened into `scratch`
    /// (room for `rows.count × rowLength` floats; needed only for a half weight).
    @inline(__always)
    func floatRows<R>(_ rows: Range<Int>, scratch: UnsafeMutablePointer<Float>?,
                      _ body: (UnsafePointer<Float>) -> R) -> R {
        let length = rowLength
        switch storage {
        case .float(let tensor):
            return tensor.withUnsafeBufferPointer { body($0.baseAddress! + rows.lowerBound * length) }
        case .half(let values):
            guard let scratch else { preconditionFailure("widening half rows needs scratch") }
            values.widen(rows.lowerBound * length..<rows.upperBound * length, into: scratch)
            return body(scratch)
        }
    }
}

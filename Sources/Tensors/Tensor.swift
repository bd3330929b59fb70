// A dense Float32 tensor: a shape plus row-major (C-order) storage, 64-byte aligned.
// Images and latents are NCHW, sequences are [B, T, C]; reshapes share storage.

/// A dense, row-major Float32 tensor with 64-byte-aligned storage and value semantics (copy on write).
public struct Tensor {
    /// Extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline internal var storage: TensorStorage

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(of: shape), zeroed: true)
    }

    /// An uninitialised tensor, for kernels that overwrite every element.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(of: shape), zeroed: false)
    }

    /// A tensor holding `values` in row-major order; `values.count` must equal the shape's element count.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == Tensor.elementCount(of: shape),
                     "Tensor(shape: \(shape)) needs \(Tensor.elementCount(of: shape)) values, got \(values.count)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { src in
            storage.pointer.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        storage.pointer.update(repeating: value, count: count)
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The elements in row-major order, copied out.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Product of the extents; a negative extent is a programming error.
    public static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1) { product, extent in
            precondition(extent >= 0, "negative extent in shape \(shape)")
            return product * extent
        }
    }

    /// The same elements under a new shape. One extent may be -1 (inferred). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(Tensor.elementCount(of: resolved) == count, "cannot reshape \(shape) to \(newShape)")
        var copy = self
        copy.shape = resolved
        return copy
    }

    /// Read-only access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Mutable access to the elements; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Element at a multi-dimensional index (slow; for tests and small lookups).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            let flat = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[flat] = newValue }
        }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of range for shape \(shape)")
            flat = flat * extent + i
        }
        return flat
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape))" }
}

/// Owns a 64-byte-aligned Float buffer; shared by tensors that are reshapes of each other.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// The ledger charged for this storage, if one was bound where it was allocated.
    private let ledger: MemoryLedger?

    init(count: Int, zeroed: Bool) {
        self.count = count
        pointer = RecycledMemory.allocate(floats: count)
        ledger = MemoryLedger.current
        ledger?.charge(count * MemoryLayout<Float>.stride)
        // A dry run's values are never read: leaving its zeros unwritten leaves its pages untouched.
        if zeroed && WorkCancellation.current?.isRequested != true { pointer.update(repeating: 0, count: count) }
    }

    @usableFromInline func copy() -> TensorStorage {
        let duplicate = TensorStorage(count: count, zeroed: false)
        duplicate.pointer.update(from: pointer, count: count)
        return duplicate
    }

    deinit {
        ledger?.credit(count * MemoryLayout<Float>.stride)
        RecycledMemory.deallocate(pointer, floats: count)
    }
}

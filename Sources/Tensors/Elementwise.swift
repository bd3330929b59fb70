// Binary elementwise operations with NumPy/torch broadcasting: out[i] = op(a[i'], b[i'']).
// The innermost dimension runs as a SIMD16 loop (both contiguous) or against a broadcast scalar.

/// The binary elementwise operations.
public enum BinaryOperation: Sendable {
    case add, subtract, multiply, divide

    @inlinable @inline(__always)
    func apply(_ a: VectorMath.Vector, _ b: VectorMath.Vector) -> VectorMath.Vector {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        }
    }
}

extension Tensor {
    /// The broadcast shape of two shapes (torch rules: align right, extents equal or 1).
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        return zip(pa, pb).map { x, y in
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            return x == 1 ? y : x
        }
    }

    /// `op(self, other)` with broadcasting.
    public func elementwise(_ op: BinaryOperation, _ other: Tensor) -> Tensor {
        let outShape = Tensor.broadcastShape(shape, other.shape)
        var result = Tensor(uninitialized: outShape)
        let aStrides = Tensor.broadcastStrides(shape, to: outShape)
        let bStrides = Tensor.broadcastStrides(other.shape, to: outShape)
        KernelProfile.run("elementwise (broadcast)") {
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { out in
                        Tensor.broadcastLoop(op, a.baseAddress!, aStrides, b.baseAddress!, bStrides,
                                             out.baseAddress!, outShape)
                    }
                }
            }
        }
        return result
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.elementwise(.add, rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.elementwise(.subtract, rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.elementwise(.multiply, rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.elementwise(.divide, rhs) }

    /// Every element times `scalar`.
    public static func * (lhs: Tensor, scalar: Float) -> Tensor {
        lhs.mapped { $0 * scalar }
    }

    /// Every element plus `scalar`.
    public static func + (lhs: Tensor, scalar: Float) -> Tensor {
        lhs.mapped { $0 + scalar }
    }

    /// Adds `other` (same shape) into this tensor in place: the residual-add of every block.
    public mutating func add(_ other: Tensor, scaledBy scale: Float = 1) {
        precondition(shape == other.shape, "in-place add needs equal shapes, got \(shape) and \(other.shape)")
        KernelProfile.run("add in place") {
            other.withUnsafeBufferPointer { b in
                withUnsafeMutableBufferPointer { a in
                    let pa = a.baseAddress!, pb = b.baseAddress!
                    parallelChunks(a.count, minimumChunk: 1 << 14) { range in
                        var i = range.lowerBound
                        while i + 16 <= range.upperBound {
                            VectorMath.store(VectorMath.load(pa, i) + scale * VectorMath.load(pb, i), pa, i)
                            i += 16
                        }
                        while i < range.upperBound { pa[i] += scale * pb[i]; i += 1 }
                    }
                }
            }
        }
    }

    /// The tensor with `transform` applied to every 16-lane vector.
    public func mapped(_ transform: (VectorMath.Vector) -> VectorMath.Vector) -> Tensor {
        var result = Tensor(uninitialized: shape)
        KernelProfile.run("elementwise (map)") {
            withUnsafeBufferPointer { src in
                result.withUnsafeMutableBufferPointer { dst in
                    let s = src.baseAddress!, d = dst.baseAddress!
                    parallelChunks(count, minimumChunk: 1 << 14) { range in
                        VectorMath.map(s + range.lowerBound, d + range.lowerBound, count: range.count, transform)
                    }
                }
            }
        }
        return result
    }

    /// Element strides of `shape` read as `target` (0 where broadcast), right-aligned.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = Array(repeating: 0, count: target.count)
        var step = 1
        for i in (0..<shape.count).reversed() {
            let axis = target.count - shape.count + i
            strides[axis] = shape[i] == 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }

    /// Walks every row of the output (all dimensions but the last) and runs the innermost loop.
    static func broadcastLoop(_ op: BinaryOperation,
                              _ a: UnsafePointer<Float>, _ aStrides: [Int],
                              _ b: UnsafePointer<Float>, _ bStrides: [Int],
                              _ out: UnsafeMutablePointer<Float>, _ shape: [Int]) {
        let total = Tensor.elementCount(of: shape)
        guard total > 0 else { return }
        let inner = shape.last ?? 1
        let aInner = aStrides.last ?? 0, bInner = bStrides.last ?? 0
        let rows = total / inner
        let outer = Array(shape.dropLast())
        parallelChunks(rows, minimumChunk: max(1, (1 << 14) / max(inner, 1))) { range in
            for row in range {
                // Decompose the row index into its multi-index to find both source offsets.
                var remainder = row, aOffset = 0, bOffset = 0
                for axis in stride(from: outer.count - 1, through: 0, by: -1) {
                    let index = remainder % outer[axis]
                    remainder /= outer[axis]
                    aOffset += index * aStrides[axis]
                    bOffset += index * bStrides[axis]
                }
                innerLoop(op, a + aOffset, aInner, b + bOffset, bInner, out + row * inner, inner)
            }
        }
    }

    @inline(__always)
    static func innerLoop(_ op: BinaryOperation,
                          _ a: UnsafePointer<Float>, _ aStride: Int,
                          _ b: UnsafePointer<Float>, _ bStride: Int,
                          _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        typealias V = VectorMath.Vector
        var i = 0
        switch (aStride, bStride) {
        case (1, 1):
            while i + 16 <= count { VectorMath.store(op.apply(VectorMath.load(a, i), VectorMath.load(b, i)), out, i); i += 16 }
        case (1, 0):
            let vb = V(repeating: b[0])
            while i + 16 <= count { VectorMath.store(op.apply(VectorMath.load(a, i), vb), out, i); i += 16 }
        case (0, 1):
            let va = V(repeating: a[0])
            while i + 16 <= count { VectorMath.store(op.apply(va, VectorMath.load(b, i)), out, i); i += 16 }
        default:
            break
        }
        while i < count {
            out[i] = op.apply(V(repeating: a[i * aStride]), V(repeating: b[i * bStride]))[0]
            i += 1
        }
    }
}

// softmax(x)_i = e^{x_i − max x} / Σ_j e^{x_j − max x} over the last dimension, rows in parallel,
// SIMD16 exp; the running max keeps every exponent ≤ 0.

extension Tensor {
    /// `torch.softmax(self, dim=-1)`.
    public func softmax() -> Tensor {
        let width = shape.last ?? 1
        let rows = count / max(width, 1)
        var result = self
        KernelProfile.run("softmax") {
            result.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                parallelFor(rows, minimumChunk: 8) { row in
                    Tensor.softmaxRow(base + row * width, count: width)
                }
            }
        }
        return result
    }

    /// In-place softmax of one row.
    @inlinable
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, row[i]) }
        guard maximum.isFinite else {
            // All −∞ (fully masked): torch gives NaN; a row of NaN makes that visible rather than hiding it.
            for i in 0..<count { row[i] = maximum == -.infinity ? .nan : row[i] - row[i] }
            return
        }
        let shift = VectorMath.Vector(repeating: maximum)
        VectorMath.map(row, row, count: count) { VectorMath.exp($0 - shift) }
        let total = Float(VectorMath.sum(row, count: count))
        let reciprocal = 1 / total
        VectorMath.map(row, row, count: count) { $0 * reciprocal }
    }
}

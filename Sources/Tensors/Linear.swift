// y = x · Wᵀ + b over the last dimension (torch.nn.functional.linear), W stored [out, in] as in checkpoints.
// The bias pre-fills the output and one sgemm accumulates onto it (beta = 1).

extension Tensor {
    /// `F.linear(self, weight, bias)`: `[…, in] → […, out]` with `weight` shaped `[out, in]`.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        linear(weight: LayerWeight(weight), bias: bias)
    }

    /// `F.linear(self, weight, bias)` with the weight in its stored precision.
    public func linear(weight: LayerWeight, bias: Tensor? = nil) -> Tensor {
        precondition(weight.shape.count == 2, "linear weight must be [out, in], got \(weight.shape)")
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(shape.last == inFeatures, "linear: input \(shape) does not end in \(inFeatures)")
        let rows = count / inFeatures
        var result = Tensor(uninitialized: Array(shape.dropLast()) + [outFeatures])
        KernelProfile.run("linear", flops: 2 * Double(rows) * Double(inFeatures * outFeatures)) {
            result.fillRows(with: bias, rowLength: outFeatures)
            withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    weight.multiplyTransposed(x.baseAddress!, m: rows, beta: bias == nil ? 0 : 1,
                                              into: y.baseAddress!, ldc: outFeatures)
                }
            }
        }
        return result
    }

    /// Copies `bias` (length `rowLength`) into every row; leaves the tensor untouched when nil.
    mutating func fillRows(with bias: Tensor?, rowLength: Int) {
        guard let bias else { return }
        precondition(bias.count == rowLength, "bias has \(bias.count) values, expected \(rowLength)")
        bias.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { y in
                let rows = y.count / rowLength
                for row in 0..<rows {
                    (y.baseAddress! + row * rowLength).update(from: b.baseAddress!, count: rowLength)
                }
            }
        }
    }
}

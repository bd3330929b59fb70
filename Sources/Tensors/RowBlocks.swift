// A row-wise function of a [..., width] tensor computed a block of rows at a time: the same values (each row's
// result depends on that row alone), with one block's intermediates alive instead of the whole tensor's.

extension Tensor {
    /// `body(self)` for a `body` that maps each row of the last dimension on its own (`[n, width] → [n, outputWidth]`),
    /// computed over blocks of at most `rowsPerBlock` rows and written into one result.
    public func mappingRowBlocks(of rowsPerBlock: Int, outputWidth: Int, _ body: (Tensor) -> Tensor) -> Tensor {
        precondition(rank >= 1 && rowsPerBlock > 0, "row blocks need a tensor with a last dimension")
        let width = shape[rank - 1], rows = width == 0 ? 0 : count / width
        guard rows > rowsPerBlock else { return body(self) }
        var result = Tensor(uninitialized: Array(shape.dropLast()) + [outputWidth])
        let flat = reshaped([rows, width])
        for first in stride(from: 0, to: rows, by: rowsPerBlock) {
            let block = body(flat.slice(along: 0, from: first, count: min(rowsPerBlock, rows - first)))
            precondition(block.count == block.shape[0] * outputWidth, "row block gave \(block.shape), expected width \(outputWidth)")
            block.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { out in
                    (out.baseAddress! + first * outputWidth).update(from: source.baseAddress!, count: source.count)
                }
            }
        }
        return result
    }
}

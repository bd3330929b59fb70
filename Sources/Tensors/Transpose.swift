// out[b, j, i] = in[b, i, j]: swaps the last two dimensions ([B, C, H·W] ↔ [B, H·W, C]), copied in
// 32×32 tiles so both the reads and the writes stay within cache lines; tiles in parallel.

extension Tensor {
    /// The tensor with its last two dimensions swapped, materialised.
    public func transposedLastTwo() -> Tensor {
        precondition(rank >= 2, "transpose needs rank ≥ 2, got \(shape)")
        let rows = shape[rank - 2], columns = shape[rank - 1]
        let batch = count / max(rows * columns, 1)
        var result = Tensor(uninitialized: Array(shape.dropLast(2)) + [columns, rows])
        let tile = 32
        let rowTiles = (rows + tile - 1) / tile, columnTiles = (columns + tile - 1) / tile
        KernelProfile.run("transpose") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    parallelFor(batch * rowTiles * columnTiles, minimumChunk: 4) { task in
                        let b = task / (rowTiles * columnTiles)
                        let r0 = (task / columnTiles % rowTiles) * tile, c0 = (task % columnTiles) * tile
                        let source = input.baseAddress! + b * rows * columns
                        let destination = output.baseAddress! + b * rows * columns
                        for r in r0..<min(r0 + tile, rows) {
                            for c in c0..<min(c0 + tile, columns) {
                                destination[c * rows + r] = source[r * columns + c]
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

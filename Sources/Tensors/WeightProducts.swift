// Products with a layer weight W [rows, k]: y = X·Wᵀ (a linear layer) and Y = W·P (a conv as a GEMM).
// A Float32 weight goes to sgemm whole, and so does a small half weight once widened (≤ 4 MB). A large half
// weight is widened one tile at a time (up to 1024 rows × a slice of k, 1 MB of Float32, still in cache when
// sgemm packs it), each tile one single-threaded sgemm accumulating onto the output: no Float32 copy of a
// large weight ever exists, and each worker packs the other operand once per row block.

extension LayerWeight {
    /// Floats in a widened block or tile (1 MB: one core's L2).
    static let blockBudget = 1 << 18

    /// `c[m × rows] = x[m × k] · Wᵀ + beta · c`, with `c`'s rows `ldc` apart.
    func multiplyTransposed(_ x: UnsafePointer<Float>, m: Int, beta: Float,
                            into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let k = rowLength
        if let tensor = wholeFloatTensor {
            tensor.withUnsafeBufferPointer { w in
                sgemm(transposeB: true, m: m, n: rows, k: k, a: x, lda: k, b: w.baseAddress!, ldb: k,
                      beta: beta, c: c, ldc: ldc)
            }
            return
        }
        forEachTile(columns: m) { rows, slice, w, ldw in
            serialSgemm(transposeB: true, m: m, n: rows.count, k: slice.count, a: x + slice.lowerBound, lda: k,
                        b: w, ldb: ldw, beta: slice.lowerBound == 0 ? beta : 1, c: c + rows.lowerBound, ldc: ldc)
        }
    }

    /// `c[rows × n] = W[:, inputs] · p[inputs.count × n] + beta · c`, with `p`'s rows `ldp` and `c`'s rows `ldc`
    /// apart: the product with the columns `inputs` of W (all of them by default).
    func multiply(_ p: UnsafePointer<Float>, inputs: Range<Int>? = nil, n: Int, ldp: Int, beta: Float,
                  into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let k = rowLength, inputs = inputs ?? 0..<k
        if let tensor = wholeFloatTensor {
            tensor.withUnsafeBufferPointer { w in
                sgemm(m: rows, n: n, k: inputs.count, a: w.baseAddress! + inputs.lowerBound, lda: k, b: p, ldb: ldp,
                      beta: beta, c: c, ldc: ldc)
            }
            return
        }
        forEachTile(columns: n, inputs: inputs) { rows, slice, w, ldw in
            serialSgemm(m: rows.count, n: n, k: slice.count, a: w, lda: ldw,
                        b: p + (slice.lowerBound - inputs.lowerBound) * ldp, ldb: ldp,
                        beta: slice.lowerBound == inputs.lowerBound ? beta : 1, c: c + rows.lowerBound * ldc, ldc: ldc)
        }
    }

    /// Half weights of at most this many values are widened whole for a product (4 MB of Float32, still in
    /// cache), so sgemm can split the product along its longer side: tiles split along the weight's rows and
    /// make every worker pack the whole other operand (all the pixels of a 1×1 conv at 512², say).
    static let wholeWidening = 1 << 20

    /// The weight as one Float32 tensor where that is cheap: the stored tensor, or a widened copy of a small
    /// half weight (in a recycled buffer when ≥ 1 MB, so its pages are not faulted in anew each product); nil
    /// for a large half weight, which is tiled instead.
    var wholeFloatTensor: Tensor? {
        switch storage {
        case .float(let tensor): return tensor
        case .half: return count <= LayerWeight.wholeWidening ? floatTensor : nil
        }
    }

    /// Calls `body(rows, slice, values, rowStride)` over tiles covering the half weight's columns `inputs` (all
    /// by default), `values` holding W[rows, slice] widened to Float32 (rows `rowStride` apart); a tile's
    /// slices come in order, so a product overwrites its output (beta) on a row block's first slice and
    /// accumulates onto it after. Each worker takes a contiguous run of rows when the product is large enough
    /// to split (`GEMMSplit`).
    func forEachTile(columns: Int, inputs: Range<Int>? = nil,
                     _ body: (Range<Int>, Range<Int>, UnsafePointer<Float>, Int) -> Void) {
        guard case .half(let values) = storage else { preconditionFailure("tiles are for half weights") }
        let k = rowLength, inputs = inputs ?? 0..<k
        guard rows > 0, !inputs.isEmpty else { return }
        let workers = GEMMSplit.blocks(m: rows, n: columns, k: inputs.count) > 1 ? min(parallelWorkerCount, (rows + 15) / 16) : 1
        let blockRows = min(LayerWeight.tileRows, (rows + workers - 1) / workers)
        let sliceLength = min(inputs.count, max(LayerWeight.minimumSlice, LayerWeight.blockBudget / blockRows) / 16 * 16)
        func run(_ rowRange: Range<Int>) {
            let scratch = RecycledMemory.allocate(floats: blockRows * sliceLength)
            defer { RecycledMemory.deallocate(scratch, floats: blockRows * sliceLength) }
            for firstRow in stride(from: rowRange.lowerBound, to: rowRange.upperBound, by: blockRows) {
                let block = firstRow..<min(rowRange.upperBound, firstRow + blockRows)
                for start in stride(from: inputs.lowerBound, to: inputs.upperBound, by: sliceLength) {
                    let slice = start..<min(inputs.upperBound, start + sliceLength)
                    for (i, row) in block.enumerated() {
                        values.widen(row * k + slice.lowerBound..<row * k + slice.upperBound, into: scratch + i * slice.count)
                    }
                    body(block, slice, scratch, slice.count)
                }
            }
        }
        if workers == 1 { run(0..<rows); return }
        parallelChunks(workers) { chunk in
            for w in chunk {
                let perWorker = (rows + workers - 1) / workers
                let range = min(rows, w * perWorker)..<min(rows, (w + 1) * perWorker)
                if !range.isEmpty { run(range) }
            }
        }
    }

    /// Rows of a half tile at most; with `blockBudget` floats a tile, the k slice is at least `minimumSlice`.
    static let tileRows = 1024
    static let minimumSlice = 256

    /// Calls `body(rows, values)` for consecutive blocks of rows covering the weight, with the rows as Float32
    /// (widened into per-worker scratch when half). A product with `columns` on the other side is split over
    /// the workers when it is large enough (`GEMMSplit`); each worker takes a contiguous run of blocks.
    func forEachRowBlock(columns: Int, _ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        let k = max(rowLength, 1)
        let workers = GEMMSplit.blocks(m: rows, n: columns, k: k) > 1 ? parallelWorkerCount : 1
        let cacheRows = max(16, LayerWeight.blockBudget / k / 16 * 16)
        let rowsPerWorker = ((rows + workers - 1) / workers + 15) / 16 * 16
        let blockRows = max(1, min(cacheRows, rowsPerWorker, rows))
        let blocks = (rows + blockRows - 1) / blockRows
        func run(_ range: Range<Int>) {
            let scratch = isHalf ? RecycledMemory.allocate(floats: blockRows * k) : nil
            defer { scratch.map { RecycledMemory.deallocate($0, floats: blockRows * k) } }
            for b in range {
                let block = (b * blockRows)..<min(rows, (b + 1) * blockRows)
                floatRows(block, scratch: scratch) { body(block, $0) }
            }
        }
        if workers == 1 { run(0..<blocks) } else { parallelChunks(blocks) { run($0) } }
    }
}

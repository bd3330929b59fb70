// Products with a layer weight W [rows, k]: y = X·Wᵀ (a linear layer) and Y = W·P (a conv as a GEMM).
// A Float32 weight goes to sgemm whole. A half weight is widened a block of rows at a time (at most 512 KB of
// Float32, so the block is still in cache when sgemm packs it), each block one single-threaded sgemm on the
// worker that widened it: a Float32 copy of the whole weight never exists.

extension LayerWeight {
    /// Widened rows per block: at most this many floats.
    static let blockBudget = 1 << 17

    /// `c[m × rows] = x[m × k] · Wᵀ + beta · c`, with `c`'s rows `ldc` apart.
    func multiplyTransposed(_ x: UnsafePointer<Float>, m: Int, beta: Float,
                            into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let k = rowLength
        if case .float(let tensor) = storage {
            tensor.withUnsafeBufferPointer { w in
                sgemm(transposeB: true, m: m, n: rows, k: k, a: x, lda: k, b: w.baseAddress!, ldb: k,
                      beta: beta, c: c, ldc: ldc)
            }
            return
        }
        forEachRowBlock(columns: m) { block, w in
            serialSgemm(transposeB: true, m: m, n: block.count, k: k, a: x, lda: k, b: w, ldb: k,
                        beta: beta, c: c + block.lowerBound, ldc: ldc)
        }
    }

    /// `c[rows × n] = W · p[k × n] + beta · c`, with `p`'s rows `ldp` and `c`'s rows `ldc` apart.
    func multiply(_ p: UnsafePointer<Float>, n: Int, ldp: Int, beta: Float,
                  into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let k = rowLength
        if case .float(let tensor) = storage {
            tensor.withUnsafeBufferPointer { w in
                sgemm(m: rows, n: n, k: k, a: w.baseAddress!, lda: k, b: p, ldb: ldp, beta: beta, c: c, ldc: ldc)
            }
            return
        }
        forEachRowBlock(columns: n) { block, w in
            serialSgemm(m: block.count, n: n, k: k, a: w, lda: k, b: p, ldb: ldp, beta: beta,
                        c: c + block.lowerBound * ldc, ldc: ldc)
        }
    }

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
            let scratch = isHalf ? UnsafeMutablePointer<Float>.allocate(capacity: blockRows * k) : nil
            defer { scratch?.deallocate() }
            for b in range {
                let block = (b * blockRows)..<min(rows, (b + 1) * blockRows)
                floatRows(block, scratch: scratch) { body(block, $0) }
            }
        }
        if workers == 1 { run(0..<blocks) } else { parallelChunks(blocks) { run($0) } }
    }
}

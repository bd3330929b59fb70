// out = softmax(scale · Q Kᵀ [+ causal mask]) V per head, for Q [B, Nq, H·D] and K, V [B, Nk, H·D].
// Flash-style: a tile of queries meets key tiles one at a time with an online (running-max) softmax,
// so only a Tq×Tk score tile per worker ever exists — never the Nq×Nk matrix. Tiles use single-threaded
// sgemm (one task per worker: batch × head × query tile); the softmax bookkeeping is SIMD16.

#if canImport(Glibc)
import Glibc
#endif

/// Multi-head scaled dot-product attention (`F.scaled_dot_product_attention`) without an N×N buffer.
public enum Attention {
    /// Query rows per tile.
    public static let queryTile = 64
    /// Key rows per tile.
    public static let keyTile = 512

    /// Attention over `[B, N, heads·D]` tensors; `scale` defaults to 1/√D; `causal` masks keys after the query.
    public static func scaledDotProduct(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                                        scale: Float? = nil, causal: Bool = false) -> Tensor {
        precondition(query.rank == 3 && key.rank == 3 && value.rank == 3, "attention needs [B, N, C] tensors")
        let shape = AttentionShape(batch: query.shape[0], queries: query.shape[1], keys: key.shape[1],
                                   width: query.shape[2], heads: heads)
        precondition(key.shape == [shape.batch, shape.keys, shape.width] && value.shape == key.shape,
                     "attention: key \(key.shape) / value \(value.shape) do not match query \(query.shape)")
        precondition(heads > 0 && shape.width % heads == 0, "attention: width \(shape.width) not divisible by \(heads) heads")
        let scale = scale ?? 1 / Float(shape.headDim).squareRoot()
        var output = Tensor(uninitialized: query.shape)
        let flops = 4 * Double(shape.batch * shape.queries) * Double(shape.keys * shape.width)
        KernelProfile.run("attention", flops: flops) {
            query.withUnsafeBufferPointer { q in
                key.withUnsafeBufferPointer { k in
                    value.withUnsafeBufferPointer { v in
                        output.withUnsafeMutableBufferPointer { o in
                            let pointers = AttentionPointers(query: q.baseAddress!, key: k.baseAddress!,
                                                             value: v.baseAddress!, output: o.baseAddress!)
                            run(pointers, shape, scale: scale, causal: causal)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Floats of scratch one worker needs (the score tile, the output accumulator, running max and sum).
    public static func scratchFloats(headDim: Int) -> Int {
        queryTile * keyTile + queryTile * headDim + 2 * queryTile
    }

    static func run(_ p: AttentionPointers, _ s: AttentionShape, scale: Float, causal: Bool) {
        let tilesPerHead = (s.queries + queryTile - 1) / queryTile
        BLASThreads.singleThreaded {
            parallelChunks(s.batch * s.heads * tilesPerHead) { tasks in
                var scratch = AttentionScratch(headDim: s.headDim)
                defer { scratch.deallocate() }
                for task in tasks {
                    let tile = task % tilesPerHead, head = (task / tilesPerHead) % s.heads
                    let batch = task / (tilesPerHead * s.heads)
                    attendTile(p, s, batch: batch, head: head, firstQuery: tile * queryTile,
                               scale: scale, causal: causal, scratch: &scratch)
                }
            }
        }
    }

    /// One query tile of one head against all its keys, key tile by key tile.
    static func attendTile(_ p: AttentionPointers, _ s: AttentionShape, batch: Int, head: Int, firstQuery: Int,
                           scale: Float, causal: Bool, scratch: inout AttentionScratch) {
        let rows = min(queryTile, s.queries - firstQuery)
        let d = s.headDim
        let q = p.query + (batch * s.queries + firstQuery) * s.width + head * d
        scratch.reset(rows: rows)
        let keyLimit = causal ? min(s.keys, firstQuery + rows) : s.keys
        var firstKey = 0
        while firstKey < keyLimit {
            let columns = min(keyTile, keyLimit - firstKey)
            let keyRows = (batch * s.keys + firstKey) * s.width + head * d
            serialSgemm(transposeB: true, m: rows, n: columns, k: d, alpha: scale,
                  a: q, lda: s.width, b: p.key + keyRows, ldb: s.width, c: scratch.scores, ldc: columns)
            for r in 0..<rows {
                let visible = causal ? max(0, min(columns, firstQuery + r - firstKey + 1)) : columns
                scratch.absorb(row: r, columns: columns, visible: visible, headDim: d)
            }
            serialSgemm(m: rows, n: d, k: columns, a: scratch.scores, lda: columns,
                  b: p.value + keyRows, ldb: s.width, beta: 1, c: scratch.accumulator, ldc: d)
            firstKey += columns
        }
        let out = p.output + (batch * s.queries + firstQuery) * s.width + head * d
        for r in 0..<rows {
            let norm = 1 / scratch.rowSum[r]
            VectorMath.map(scratch.accumulator + r * d, out + r * s.width, count: d) { $0 * norm }
        }
    }
}

/// Sizes of one attention call.
struct AttentionShape {
    let batch: Int, queries: Int, keys: Int, width: Int, heads: Int
    var headDim: Int { width / heads }
}

/// Raw pointers to the four tensors of one attention call.
struct AttentionPointers {
    let query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
}

/// One worker's tiles: scores [Tq×Tk], output accumulator [Tq×D], running max and running sum per row.
struct AttentionScratch {
    let scores: UnsafeMutablePointer<Float>
    let accumulator: UnsafeMutablePointer<Float>
    let rowMax: UnsafeMutablePointer<Float>
    let rowSum: UnsafeMutablePointer<Float>
    let headDim: Int

    init(headDim: Int) {
        self.headDim = headDim
        scores = .allocate(capacity: Attention.queryTile * Attention.keyTile)
        accumulator = .allocate(capacity: Attention.queryTile * headDim)
        rowMax = .allocate(capacity: Attention.queryTile)
        rowSum = .allocate(capacity: Attention.queryTile)
    }

    func reset(rows: Int) {
        accumulator.update(repeating: 0, count: rows * headDim)
        rowMax.update(repeating: -.infinity, count: rows)
        rowSum.update(repeating: 0, count: rows)
    }

    /// Online softmax for one row of a score tile: turn scores into e^{s − m_new} (zero where masked),
    /// rescale the row's running sum and accumulator by e^{m_old − m_new}. SIMD16 throughout.
    @inline(__always)
    func absorb(row r: Int, columns: Int, visible: Int, headDim d: Int) {
        typealias V = VectorMath.Vector
        let line = scores + r * columns
        var lanesMax = V(repeating: -.infinity)
        var j = 0
        while j + 16 <= visible {
            // A select, not the stdlib's pointwiseMax (which goes lane by lane).
            let x = VectorMath.load(line, j)
            lanesMax = lanesMax.replacing(with: x, where: x .> lanesMax)
            j += 16
        }
        var tileMax = lanesMax.max()
        while j < visible { tileMax = max(tileMax, line[j]); j += 1 }
        let newMax = max(rowMax[r], tileMax)
        (line + visible).update(repeating: 0, count: columns - visible)
        guard newMax > -.infinity else { return }
        // p = e^{s − newMax}, written back, and its sum.
        let shift = V(repeating: newMax)
        var lanesSum = V()
        j = 0
        while j + 16 <= visible {
            let p = VectorMath.exp(VectorMath.load(line, j) - shift)
            VectorMath.store(p, line, j)
            lanesSum += p
            j += 16
        }
        var tailSum: Float = 0
        if j < visible {
            let p = VectorMath.exp(VectorMath.loadPartial(line, j, count: visible - j) - shift)
            VectorMath.storePartial(p, line, j, count: visible - j)
            for lane in 0..<(visible - j) { tailSum += p[lane] }
        }
        let correction = rowMax[r] == -.infinity ? 0 : expf(rowMax[r] - newMax)
        rowSum[r] = rowSum[r] * correction + (lanesSum.sum() + tailSum)
        if correction != 1 {
            let acc = accumulator + r * d
            VectorMath.map(acc, acc, count: d) { $0 * correction }
        }
        rowMax[r] = newMax
    }

    func deallocate() {
        scores.deallocate(); accumulator.deallocate(); rowMax.deallocate(); rowSum.deallocate()
    }
}

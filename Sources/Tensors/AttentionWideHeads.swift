// Attention for heads of 256 or more dimensions — the VAE's single 512-wide head over every latent pixel (16,384
// tokens at 1024², 65,536 at 2048²) — where the SIMD16 tile kernels of Attention.swift, built for 40–160-wide
// heads, run at half of sgemm's speed. The same flash-style loop (a tile of queries meets key tiles one at a
// time with the online softmax of `AttentionScratch.absorb`, never the N×N matrix), but both tile products are
// OpenBLAS GEMMs read in place from the [B, N, H·D] tensors:
//   S = scale · Q_tile · K_tileᵀ   [Tq × Tk],   S ← e^{S − running max},   O += S · V_tile   [Tq × D].
// Equals `Reference.scaledDotProduct` within max|a−b|/max|b| ≤ 5e-6 (AttentionReferenceTests).

/// Non-causal multi-head attention through sgemm, for wide heads.
enum WideHeadAttention {
    /// Head widths from which the GEMM tiles beat the SIMD16 kernels.
    static let minimumHeadDim = 256
    /// Query rows per tile (the GEMMs' m).
    static let queryTile = 256
    /// Key rows per tile.
    static let keyTile = 2048

    /// Whether `Attention.run` hands a call of this shape to this path.
    static func applies(to s: AttentionShape, causal: Bool) -> Bool {
        !causal && s.headDim >= minimumHeadDim
    }

    /// Attention over every (batch, head, query tile) task, shared by the workers.
    static func run(_ p: AttentionPointers, _ s: AttentionShape, scale: Float) {
        let tilesPerHead = (s.queries + queryTile - 1) / queryTile
        parallelWorkers(sharing: s.batch * s.heads * tilesPerHead) { take in
            var scratch = AttentionScratch(headDim: s.headDim, queryTile: queryTile, keyTile: keyTile)
            defer { scratch.deallocate() }
            while let task = take() {
                let tile = task % tilesPerHead, head = (task / tilesPerHead) % s.heads
                let batch = task / (tilesPerHead * s.heads)
                attendTile(p, s, batch: batch, head: head, firstQuery: tile * queryTile, scale: scale, scratch: &scratch)
            }
        }
    }

    /// One query tile of one head against all its keys, key tile by key tile.
    static func attendTile(_ p: AttentionPointers, _ s: AttentionShape, batch: Int, head: Int, firstQuery: Int,
                           scale: Float, scratch: inout AttentionScratch) {
        let rows = min(queryTile, s.queries - firstQuery), d = s.headDim, dp = scratch.headDim
        let headOffset = head * d
        let q = p.query + (batch * s.queries + firstQuery) * s.width + headOffset
        scratch.reset(rows: rows)
        var firstKey = 0
        while firstKey < s.keys {
            let columns = min(keyTile, s.keys - firstKey)
            let keyRows = (batch * s.keys + firstKey) * s.width + headOffset
            serialSgemm(transposeB: true, m: rows, n: columns, k: d, alpha: scale, a: q, lda: s.width,
                        b: p.key + keyRows, ldb: s.width, c: scratch.scores, ldc: keyTile)
            for r in 0..<rows {
                scratch.absorb(row: r, columns: columns, visible: columns, tileMaxKnown: false)
            }
            serialSgemm(m: rows, n: d, k: columns, a: scratch.scores, lda: keyTile, b: p.value + keyRows,
                        ldb: s.width, beta: 1, c: scratch.accumulator, ldc: dp)
            firstKey += columns
        }
        let out = p.output + (batch * s.queries + firstQuery) * s.width + headOffset
        for r in 0..<rows {
            let norm = 1 / scratch.rowSum[r]
            VectorMath.map(scratch.accumulator + r * dp, out + r * s.width, count: d) { $0 * norm }
        }
    }
}

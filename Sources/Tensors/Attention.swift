// out = softmax(scale · Q Kᵀ [+ causal mask]) V per head, for Q [B, Nq, H·D] and K, V [B, Nk, H·D].
// Flash-style: a tile of queries meets key tiles one at a time with an online (running-max) softmax,
// so only a Tq×Tk score tile per worker ever exists — never the Nq×Nk matrix. The tile products are the SIMD16
// kernels of AttentionKernels.swift on keys and values packed per head; tasks are batch × head × query tile.
// Equals `Reference.scaledDotProduct` (AttentionReference.swift) within max|a−b|/max|b| ≤ 5e-6
// (AttentionReferenceTests).

#if canImport(Glibc)
import Glibc
#endif

/// Multi-head scaled dot-product attention (`F.scaled_dot_product_attention`) without an N×N buffer.
public enum Attention {
    /// Query rows per tile.
    public static let queryTile = 64
    /// Key rows per tile.
    public static let keyTile = 1024

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

    /// Floats of scratch one worker needs (the score tile, the output accumulator with its rows padded to whole
    /// vectors, the tile and running row maxima, the running sums) — independent of the sequence lengths.
    public static func scratchFloats(headDim: Int) -> Int {
        queryTile * keyTile + queryTile * PackedHead.paddedDim(headDim) + 3 * queryTile
    }

    static func run(_ p: AttentionPointers, _ s: AttentionShape, scale: Float, causal: Bool) {
        if WideHeadAttention.applies(to: s, causal: causal) {
            WideHeadAttention.run(p, s, scale: scale)
            return
        }
        // Each head's keys (transposed) and values, packed once: O(keys · width) floats, like K and V themselves.
        let perHead = PackedHead.floats(keys: s.keys, headDim: s.headDim)
        let storage = RecycledMemory.allocate(floats: s.batch * s.heads * perHead)
        defer { RecycledMemory.deallocate(storage, floats: s.batch * s.heads * perHead) }
        parallelFor(s.batch * s.heads) { index in
            _ = PackedHead(p, s, batch: index / s.heads, head: index % s.heads, storage: storage + index * perHead)
        }
        let tilesPerHead = (s.queries + queryTile - 1) / queryTile
        parallelWorkers(sharing: s.batch * s.heads * tilesPerHead) { take in
            var scratch = AttentionScratch(headDim: s.headDim)
            defer { scratch.deallocate() }
            while let task = take() {
                let tile = task % tilesPerHead, head = (task / tilesPerHead) % s.heads
                let batch = task / (tilesPerHead * s.heads)
                let index = batch * s.heads + head
                let packed = PackedHead(view: storage + index * perHead, keys: s.keys, headDim: s.headDim)
                attendTile(p, s, packed, batch: batch, head: head, firstQuery: tile * queryTile,
                           scale: scale, causal: causal, scratch: &scratch)
            }
        }
    }

    /// One query tile of one head against all its keys, key tile by key tile.
    static func attendTile(_ p: AttentionPointers, _ s: AttentionShape, _ packed: PackedHead, batch: Int, head: Int,
                           firstQuery: Int, scale: Float, causal: Bool, scratch: inout AttentionScratch) {
        let rows = min(queryTile, s.queries - firstQuery)
        let d = s.headDim, dp = packed.paddedDim
        let q = p.query + (batch * s.queries + firstQuery) * s.width + head * d
        // Rows past the tile's last repeat it (their results are never read), so blocks are always 4 rows.
        func query(_ r: Int) -> UnsafePointer<Float> { q + min(r, rows - 1) * s.width }
        func probabilities(_ r: Int) -> UnsafePointer<Float> { UnsafePointer(scratch.scores + min(r, rows - 1) * keyTile) }
        scratch.reset(rows: PackedHead.roundUp(rows, 4))
        let keyLimit = causal ? min(s.keys, firstQuery + rows) : s.keys
        var firstKey = 0
        while firstKey < keyLimit {
            let columns = min(keyTile, keyLimit - firstKey)
            for r in stride(from: 0, to: rows, by: 4) {
                var maxima = RowMaxima()
                for j in stride(from: 0, to: columns, by: 32) {
                    let scores = scratch.scores + r * keyTile + j
                    AttentionKernels.scoreBlock(query(r), query(r + 1), query(r + 2), query(r + 3),
                                                keyBlock: packed.keyBlock((firstKey + j) / 32), headDim: d,
                                                scale: scale, into: scores, scoreStride: keyTile)
                    if !causal { maxima.include(scores, stride: keyTile, count: min(32, columns - j)) }
                }
                if !causal { maxima.store(into: scratch.tileMax + r) }
            }
            for r in 0..<rows {
                let visible = causal ? max(0, min(columns, firstQuery + r - firstKey + 1)) : columns
                scratch.absorb(row: r, columns: columns, visible: visible, tileMaxKnown: !causal)
            }
            for r in stride(from: 0, to: rows, by: 4) {
                let (p0, p1, p2, p3) = (probabilities(r), probabilities(r + 1), probabilities(r + 2), probabilities(r + 3))
                for panel in 0..<packed.panelCount {
                    let (values, start, width) = packed.valuePanel(panel, fromKey: firstKey)
                    let accumulator = scratch.accumulator + r * dp + start
                    switch width {
                    case 32:
                        AttentionKernels.valueBlock(p0, p1, p2, p3, values: values, valueStride: 32, keys: columns,
                                                    accumulator: accumulator, accumulatorStride: dp)
                    case 16:
                        AttentionKernels.valueBlock16(p0, p1, p2, p3, values: values, keys: columns,
                                                      accumulator: accumulator, accumulatorStride: dp)
                    default:
                        AttentionKernels.valueBlock8(p0, p1, p2, p3, values: values, keys: columns,
                                                     accumulator: accumulator, accumulatorStride: dp)
                    }
                }
            }
            firstKey += columns
        }
        let out = p.output + (batch * s.queries + firstQuery) * s.width + head * d
        for r in 0..<rows {
            let norm = 1 / scratch.rowSum[r]
            VectorMath.map(scratch.accumulator + r * dp, out + r * s.width, count: d) { $0 * norm }
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

/// The running maxima of 4 score rows, lane by lane, taken as the score kernel writes them (so the softmax
/// needs no separate pass over the tile to find its row maxima).
struct RowMaxima {
    typealias V = VectorMath.Vector
    var lanes = (V(repeating: -.infinity), V(repeating: -.infinity), V(repeating: -.infinity), V(repeating: -.infinity))

    /// Takes in the first `count` (≤ 32) scores of 4 rows `stride` apart, just written (still in L1).
    @inline(__always)
    mutating func include(_ scores: UnsafePointer<Float>, stride: Int, count: Int) {
        lanes = (VectorMath.maximum(lanes.0, RowMaxima.block(scores, count: count)),
                 VectorMath.maximum(lanes.1, RowMaxima.block(scores + stride, count: count)),
                 VectorMath.maximum(lanes.2, RowMaxima.block(scores + 2 * stride, count: count)),
                 VectorMath.maximum(lanes.3, RowMaxima.block(scores + 3 * stride, count: count)))
    }

    /// Lane maxima of one row's block of 32 scores (the kernel writes all 32), of which the first `count` are
    /// keys: the lanes past them (padding) count as −∞.
    @inline(__always)
    private static func block(_ line: UnsafePointer<Float>, count: Int) -> V {
        var low = VectorMath.load(line, 0), high = VectorMath.load(line, 16)
        if count < 32 {
            let limit = V(repeating: Float(count)), past = V(repeating: -.infinity)
            low = low.replacing(with: past, where: VectorMath.laneIndices .>= limit)
            high = high.replacing(with: past, where: VectorMath.laneIndices .>= limit - 16)
        }
        return VectorMath.maximum(low, high)
    }

    /// Writes the 4 rows' maxima to `destination[0..<4]`.
    func store(into destination: UnsafeMutablePointer<Float>) {
        destination[0] = lanes.0.max(); destination[1] = lanes.1.max()
        destination[2] = lanes.2.max(); destination[3] = lanes.3.max()
    }
}

/// One worker's tiles: scores [Tq×Tk], output accumulator [Tq×D'] (D rounded up to 8), the current key tile's
/// row maxima, running max and sum.
struct AttentionScratch {
    let scores: UnsafeMutablePointer<Float>
    let accumulator: UnsafeMutablePointer<Float>
    let tileMax: UnsafeMutablePointer<Float>
    let rowMax: UnsafeMutablePointer<Float>
    let rowSum: UnsafeMutablePointer<Float>
    let headDim: Int
    /// Floats between two score rows: the key tile's length.
    let keyTile: Int

    init(headDim: Int, queryTile: Int = Attention.queryTile, keyTile: Int = Attention.keyTile) {
        self.headDim = PackedHead.paddedDim(headDim)
        self.keyTile = keyTile
        scores = .allocate(capacity: queryTile * keyTile)
        accumulator = .allocate(capacity: queryTile * self.headDim)
        tileMax = .allocate(capacity: queryTile)
        rowMax = .allocate(capacity: queryTile)
        rowSum = .allocate(capacity: queryTile)
    }

    func reset(rows: Int) {
        accumulator.update(repeating: 0, count: rows * headDim)
        rowMax.update(repeating: -.infinity, count: rows)
        rowSum.update(repeating: 0, count: rows)
    }

    /// Online softmax for one row of a score tile: turn scores into e^{s − m_new} (zero where masked),
    /// rescale the row's running sum and accumulator by e^{m_old − m_new}. SIMD16 throughout. The tile's row
    /// maximum is `tileMax[r]` when `tileMaxKnown` (taken by the score kernel), else found here over the visible
    /// scores.
    @inline(__always)
    func absorb(row r: Int, columns: Int, visible: Int, tileMaxKnown: Bool) {
        typealias V = VectorMath.Vector
        let line = scores + r * keyTile
        let newMax = max(rowMax[r], tileMaxKnown ? tileMax[r] : maximum(line, count: visible))
        (line + visible).update(repeating: 0, count: columns - visible)
        guard newMax > -.infinity else { return }
        // p = e^{s − newMax}, written back, and its sum.
        let shift = V(repeating: newMax)
        var lanesSum = V()
        var j = 0
        while j + 16 <= visible {
            let p = VectorMath.exp(ofNonPositive: VectorMath.load(line, j) - shift)
            VectorMath.store(p, line, j)
            lanesSum += p
            j += 16
        }
        if j < visible {
            // A whole vector (the row has keyTile floats), its lanes past `visible` set to 0 after the exp (they
            // may hold anything: a select drops even a NaN); the zeros written there are never read as keys.
            let p = VectorMath.exp(ofNonPositive: VectorMath.load(line, j) - shift)
                .replacing(with: 0, where: VectorMath.laneIndices .>= V(repeating: Float(visible - j)))
            VectorMath.store(p, line, j)
            lanesSum += p
        }
        let correction = rowMax[r] == -.infinity ? 0 : expf(rowMax[r] - newMax)
        rowSum[r] = rowSum[r] * correction + lanesSum.sum()
        if correction != 1 {
            let acc = accumulator + r * headDim
            VectorMath.map(acc, acc, count: headDim) { $0 * correction }
        }
        rowMax[r] = newMax
    }

    /// The largest of `count` scores (−∞ for none).
    private func maximum(_ line: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = VectorMath.Vector
        var lanesMax = V(repeating: -.infinity)
        var j = 0
        while j + 16 <= count {
            lanesMax = VectorMath.maximum(lanesMax, VectorMath.load(line, j))
            j += 16
        }
        var result = lanesMax.max()
        while j < count { result = max(result, line[j]); j += 1 }
        return result
    }

    func deallocate() {
        scores.deallocate(); accumulator.deallocate(); tileMax.deallocate(); rowMax.deallocate(); rowSum.deallocate()
    }
}

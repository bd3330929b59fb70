// The two products of tiled attention as register-blocked SIMD16 FMA kernels: scores S = scale · Q Kᵀ (4 query
// rows × 32 keys per block, over the head dimension) and O += P V (4 rows × 32, 16 or 8 value dimensions per
// block, over the keys), on keys and values packed per head into contiguous panels. Head dimensions of 40–160
// make these products too thin for BLAS, whose per-call packing then dominated.

/// One head's keys and values, packed for the kernels as contiguous panels (so each block walks memory in
/// order rather than in 4·keys-byte strides that alias in L1): Kᵀ in blocks of 32 keys, [key block][d][32], and
/// V in panels of 32 dimensions, [panel][keys][32], then one of 16 and one of 8 as the head dimension (rounded
/// up to 8) needs: 40 = 32 + 8, 80 = 2·32 + 16. Zero-padded.
struct PackedHead {
    let keysT: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    let keys: Int, headDim: Int
    /// The head dimension rounded up to 8.
    var paddedDim: Int { PackedHead.paddedDim(headDim) }
    /// Full 32-wide value panels (a 16- and/or an 8-wide one follow for the rest of `paddedDim`).
    var fullPanels: Int { paddedDim / 32 }
    /// All value panels.
    var panelCount: Int {
        let rest = paddedDim % 32
        return fullPanels + (rest >= 16 ? 1 : 0) + (rest % 16 == 8 ? 1 : 0)
    }

    static func paddedDim(_ headDim: Int) -> Int { roundUp(headDim, 8) }

    /// Floats one head needs.
    static func floats(keys: Int, headDim: Int) -> Int {
        headDim * roundUp(keys, 32) + keys * paddedDim(headDim)
    }

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    /// The packed head already stored at `storage`.
    init(view storage: UnsafeMutablePointer<Float>, keys: Int, headDim: Int) {
        self.keys = keys
        self.headDim = headDim
        keysT = storage
        values = storage + headDim * PackedHead.roundUp(keys, 32)
    }

    /// Packs head `head` of batch entry `batch` into `storage` (`floats(keys:headDim:)` floats).
    init(_ p: AttentionPointers, _ s: AttentionShape, batch: Int, head: Int, storage: UnsafeMutablePointer<Float>) {
        self.init(view: storage, keys: s.keys, headDim: s.headDim)
        let d = s.headDim
        keysT.initialize(repeating: 0, count: d * PackedHead.roundUp(s.keys, 32))
        values.initialize(repeating: 0, count: s.keys * paddedDim)
        let first = (batch * s.keys) * s.width + head * d
        for j in 0..<s.keys {
            let key = p.key + first + j * s.width
            let block = keysT + (j / 32) * d * 32 + j % 32
            for k in 0..<d { block[k * 32] = key[k] }
        }
        for panel in 0..<panelCount {
            let (start, width) = panelExtent(panel)
            let used = min(width, d - start)
            guard used > 0 else { continue }
            let destination = values + keys * start
            for j in 0..<s.keys {
                (destination + j * width).update(from: p.value + first + j * s.width + start, count: used)
            }
        }
    }

    /// Kᵀ block holding keys 32·block ..< 32·block + 32 (d rows of 32).
    func keyBlock(_ block: Int) -> UnsafePointer<Float> { UnsafePointer(keysT + block * headDim * 32) }

    /// The first dimension and the width (32, 16 or 8) of value panel `panel`.
    func panelExtent(_ panel: Int) -> (start: Int, width: Int) {
        if panel < fullPanels { return (32 * panel, 32) }
        let start = 32 * fullPanels, rest = paddedDim % 32
        if rest >= 16 { return panel == fullPanels ? (start, 16) : (start + 16, 8) }
        return (start, 8)
    }

    /// Value panel `panel` from key `key`: its rows (`width` floats apart), first dimension and width.
    func valuePanel(_ panel: Int, fromKey key: Int) -> (values: UnsafePointer<Float>, start: Int, width: Int) {
        let (start, width) = panelExtent(panel)
        return (UnsafePointer(values + keys * start + key * width), start, width)
    }
}

/// The attention micro-kernels.
enum AttentionKernels {
    typealias V = VectorMath.Vector

    /// scores[r][j] = scale · Σ_k q_r[k] · Kᵀ[k][j] for 4 query rows and the 32 keys of one packed key block.
    @inline(__always)
    static func scoreBlock(_ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>,
                           _ q3: UnsafePointer<Float>, keyBlock: UnsafePointer<Float>, headDim: Int,
                           scale: Float, into scores: UnsafeMutablePointer<Float>, scoreStride: Int) {
        rowsTimesPanel(q0, q1, q2, q3, panel: keyBlock, panelStride: 32, count: headDim, scale: scale,
                       accumulating: false, into: scores, stride: scoreStride)
    }

    /// acc_r[0..<32] += Σ_j p_r[j] · V[j][0..<32] for 4 rows over `keys` keys of one 32-wide value panel.
    @inline(__always)
    static func valueBlock(_ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                           _ p3: UnsafePointer<Float>, values: UnsafePointer<Float>, valueStride: Int, keys: Int,
                           accumulator: UnsafeMutablePointer<Float>, accumulatorStride: Int) {
        rowsTimesPanel(p0, p1, p2, p3, panel: values, panelStride: valueStride, count: keys, scale: 1,
                       accumulating: true, into: accumulator, stride: accumulatorStride)
    }

    /// out_r[0..<32] = scale · Σ_j x_r[j] · panel[j][0..<32] (+ out_r when accumulating) for 4 rows x_r: the
    /// 4×32 register block both attention products are made of (8 SIMD16 accumulators, 2 loads per 8 FMAs).
    @inline(__always)
    static func rowsTimesPanel(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                               _ x3: UnsafePointer<Float>, panel: UnsafePointer<Float>, panelStride: Int, count: Int,
                               scale: Float, accumulating: Bool, into out: UnsafeMutablePointer<Float>, stride s: Int) {
        var a0 = V(), b0 = V(), a1 = V(), b1 = V(), a2 = V(), b2 = V(), a3 = V(), b3 = V()
        if accumulating {
            a0 = VectorMath.load(out, 0); b0 = VectorMath.load(out, 16)
            a1 = VectorMath.load(out, s); b1 = VectorMath.load(out, s + 16)
            a2 = VectorMath.load(out, 2 * s); b2 = VectorMath.load(out, 2 * s + 16)
            a3 = VectorMath.load(out, 3 * s); b3 = VectorMath.load(out, 3 * s + 16)
        }
        var j = 0, row = panel
        while j < count {
            let low = VectorMath.load(row, 0), high = VectorMath.load(row, 16)
            let y0 = x0[j], y1 = x1[j], y2 = x2[j], y3 = x3[j]
            a0 = a0.addingProduct(y0, low); b0 = b0.addingProduct(y0, high)
            a1 = a1.addingProduct(y1, low); b1 = b1.addingProduct(y1, high)
            a2 = a2.addingProduct(y2, low); b2 = b2.addingProduct(y2, high)
            a3 = a3.addingProduct(y3, low); b3 = b3.addingProduct(y3, high)
            row += panelStride
            j += 1
        }
        VectorMath.store(a0 * scale, out, 0); VectorMath.store(b0 * scale, out, 16)
        VectorMath.store(a1 * scale, out, s); VectorMath.store(b1 * scale, out, s + 16)
        VectorMath.store(a2 * scale, out, 2 * s); VectorMath.store(b2 * scale, out, 2 * s + 16)
        VectorMath.store(a3 * scale, out, 3 * s); VectorMath.store(b3 * scale, out, 3 * s + 16)
    }

    /// `valueBlock` for a 16-wide value panel.
    @inline(__always)
    static func valueBlock16(_ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                             _ p3: UnsafePointer<Float>, values: UnsafePointer<Float>, keys: Int,
                             accumulator: UnsafeMutablePointer<Float>, accumulatorStride: Int) {
        rowsTimesNarrowPanel(p0, p1, p2, p3, V.self, values: values, keys: keys, accumulator: accumulator,
                             accumulatorStride: accumulatorStride)
    }

    /// `valueBlock` for an 8-wide value panel (a head dimension of 40 = 32 + 8 pads no further).
    @inline(__always)
    static func valueBlock8(_ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                            _ p3: UnsafePointer<Float>, values: UnsafePointer<Float>, keys: Int,
                            accumulator: UnsafeMutablePointer<Float>, accumulatorStride: Int) {
        rowsTimesNarrowPanel(p0, p1, p2, p3, SIMD8<Float>.self, values: values, keys: keys, accumulator: accumulator,
                             accumulatorStride: accumulatorStride)
    }

    /// acc_r += Σ_j p_r[j] · V[j] for 4 rows and a value panel one vector of type `Lanes` wide.
    @inline(__always)
    static func rowsTimesNarrowPanel<Lanes: SIMD>(_ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>,
                                                  _ p2: UnsafePointer<Float>, _ p3: UnsafePointer<Float>,
                                                  _ lanes: Lanes.Type, values: UnsafePointer<Float>, keys: Int,
                                                  accumulator: UnsafeMutablePointer<Float>, accumulatorStride s: Int)
    where Lanes.Scalar == Float {
        func load(_ offset: Int) -> Lanes { UnsafeRawPointer(accumulator + offset).loadUnaligned(as: Lanes.self) }
        func store(_ value: Lanes, _ offset: Int) {
            UnsafeMutableRawPointer(accumulator + offset).storeBytes(of: value, as: Lanes.self)
        }
        var a0 = load(0), a1 = load(s), a2 = load(2 * s), a3 = load(3 * s)
        var j = 0, row = values
        while j < keys {
            let value = UnsafeRawPointer(row).loadUnaligned(as: Lanes.self)
            a0 = a0.addingProduct(p0[j], value); a1 = a1.addingProduct(p1[j], value)
            a2 = a2.addingProduct(p2[j], value); a3 = a3.addingProduct(p3[j], value)
            row += Lanes.scalarCount
            j += 1
        }
        store(a0, 0); store(a1, s); store(a2, 2 * s); store(a3, 3 * s)
    }
}

// 3×3 stride-1 convolution by Winograd F(m×m, 3×3): per m×m output tile Y = Aᵀ[Σ_c U_c ⊙ V_c]A with
// U = G g Gᵀ (weights) and V = Bᵀ d B (α×α input tile, α = m + 2), so the channel sums become α² GEMMs, one
// per tile point (`SmallProducts`: register blocks reading both operands in place). Bands of tile rows run in
// parallel, each worker with its own buffers. Input rows are split into m phase streams (x = m·t + k) so every
// transform is SIMD16 over tiles with contiguous loads. The tilings (F(2×2, 3×3) and F(4×4, 3×3)) live in
// WinogradTilings.swift.
// Equals `Reference.conv2d` within max|a−b|/max|b| ≤ 2e-6 for F(2×2), 1e-5 for F(4×4) (Conv2DReferenceTests).

/// The transforms of one Winograd tiling F(m×m, 3×3).
protocol WinogradTiling {
    /// m: output pixels per tile side.
    static var outputTile: Int { get }
    /// α = m + 2: input pixels per tile side, and the transform's size.
    static var inputTile: Int { get }
    /// G g: 3 inputs to α outputs.
    static func transformKernel(_ g0: Float, _ g1: Float, _ g2: Float, _ out: UnsafeMutablePointer<Float>)
    /// V = Bᵀ d B for 16 tiles from t: `phases + (r·m + k)·streamStride` is phase k (columns m·t' + k) of input
    /// row r; point ξ goes to `v + ξ·stride + t` (the low `lanes` lanes).
    static func transformInput(phases: UnsafePointer<Float>, streamStride: Int, t: Int,
                               into v: UnsafeMutablePointer<Float>, stride: Int, lanes: Int)
    /// Y = Aᵀ M A + bias (+ residual) for 16 tiles from t (points ξ at `m + ξ·stride + t`): pixel b of output
    /// row a of lane l goes to `rows[a][m·l + b]` (plus `residual` at the same place), for the first `rowCount`
    /// rows and `pixels` pixels of each.
    static func transformOutput(_ m: UnsafePointer<Float>, stride: Int, t: Int, lanes: Int, bias: Float,
                                rows: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?,
                                rowStride: Int, rowCount: Int, pixels: Int)
}

/// Winograd F(m×m, 3×3) for NCHW images and OIHW 3×3 weights.
enum WinogradConvolution<Tiling: WinogradTiling> {
    static var m: Int { Tiling.outputTile }
    static var alpha: Int { Tiling.inputTile }
    static var points: Int { Tiling.inputTile * Tiling.inputTile }

    /// Floats of one band buffer (V or M); bands are sized to stay within it (cache-resident).
    static var bandBudget: Int { 1 << 21 }

    /// Tile geometry of one convolution.
    struct Tiles {
        let geometry: ConvGeometry
        let outChannels: Int
        /// Tiles per row and tile rows.
        var across: Int { (geometry.outWidth + m - 1) / m }
        var down: Int { (geometry.outHeight + m - 1) / m }
        /// Tile rows per band: few enough to stay in cache, and as many bands as a multiple of the workers
        /// (so none idles at the end) whenever there are tile rows enough.
        var rowsPerBand: Int {
            let perRow = points * max(geometry.inChannels, outChannels) * across
            let fitting = max(1, min(down, bandBudget / max(perRow, 1)))
            let workers = parallelWorkerCount
            let bands = min(down, ((down + fitting - 1) / fitting + workers - 1) / workers * workers)
            return (down + bands - 1) / bands
        }
        var bands: Int { (down + rowsPerBand - 1) / rowsPerBand }
    }

    /// Floats of the transformed weights: α² × out × in.
    static func transformedWeightCount(_ weight: LayerWeight, inChannels: Int) -> Int {
        points * weight.rows * inChannels
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for every output and input channel, into `u` (`transformedWeightCount` floats):
    /// U = (G ⊗ G) · [g₀ … g_{out·in−1}] with each 3×3 kernel g as a 9-vector, a block of output channels at a
    /// time.
    static func transformWeights(_ weight: LayerWeight, inChannels: Int, into u: UnsafeMutablePointer<Float>) {
        let pairs = weight.rows * inChannels
        kernelTransform.withUnsafeBufferPointer { t in
            weight.forEachRowBlock(columns: points) { block, w in
                transformKernels(w, count: block.count * inChannels, transform: t.baseAddress!,
                                 into: u + block.lowerBound * inChannels, pointStride: pairs)
            }
        }
    }

    /// u[ξ · pointStride + p] = Σₖ T[ξ][k] · g[9p + k] for `count` 3×3 kernels g stored one after another:
    /// 16 kernels at a time, their taps gathered into 9 vectors, so each point is 9 SIMD16 FMAs and one store
    /// (the write-bound transform runs at several times the speed of a k = 9 sgemm).
    static func transformKernels(_ g: UnsafePointer<Float>, count: Int, transform t: UnsafePointer<Float>,
                                 into u: UnsafeMutablePointer<Float>, pointStride: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9 * 16) { buffer in
            let taps = buffer.baseAddress!
            taps.initialize(repeating: 0, count: 9 * 16)
            for first in stride(from: 0, to: count, by: 16) {
                let lanes = min(16, count - first)
                for lane in 0..<lanes {
                    for k in 0..<9 { taps[k * 16 + lane] = g[(first + lane) * 9 + k] }
                }
                for point in 0..<points {
                    var sum = VectorMath.Vector()
                    for k in 0..<9 { sum = sum.addingProduct(VectorMath.load(taps, k * 16), t[point * 9 + k]) }
                    if lanes == 16 {
                        VectorMath.store(sum, u + point * pointStride, first)
                    } else {
                        VectorMath.storePartial(sum, u + point * pointStride, first, count: lanes)
                    }
                }
            }
        }
    }

    /// G ⊗ G as an α² × 9 matrix: entry (i·α + j, k·3 + l) = G[i][k] · G[j][l] (products taken in Double).
    static var kernelTransform: [Float] {
        let a = alpha
        var g = [Double](repeating: 0, count: a * 3)   // G[i][k] at i·3 + k
        withUnsafeTemporaryAllocation(of: Float.self, capacity: a) { column in
            for k in 0..<3 {
                Tiling.transformKernel(k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0, column.baseAddress!)
                for i in 0..<a { g[i * 3 + k] = Double(column[i]) }
            }
        }
        var t = [Float](repeating: 0, count: a * a * 9)
        for i in 0..<a {
            for j in 0..<a {
                for k in 0..<3 {
                    for l in 0..<3 { t[(i * a + j) * 9 + k * 3 + l] = Float(g[i * 3 + k] * g[j * 3 + l]) }
                }
            }
        }
        return t
    }

    /// One image: `output[o] = bias[o] + conv(image, weight)[o]` (output fully written).
    static func convolve(_ image: UnsafePointer<Float>, _ g: ConvGeometry, transformedWeights u: UnsafePointer<Float>,
                         outChannels: Int, bias: UnsafePointer<Float>?, adding residual: UnsafePointer<Float>?,
                         normalizing map: InputMap?, _ output: UnsafeMutablePointer<Float>) {
        let tiles = Tiles(geometry: g, outChannels: outChannels)
        parallelWorkers(sharing: tiles.bands) { take in
            let scratch = WinogradScratch(points: points, phases: m, rows: alpha, tiles: tiles.across,
                                          inputs: g.inChannels * tiles.rowsPerBand * tiles.across,
                                          outputs: outChannels * tiles.rowsPerBand * tiles.across, width: g.width)
            defer { scratch.deallocate() }
            while let band = take() {
                let firstRow = band * tiles.rowsPerBand
                let rows = min(tiles.rowsPerBand, tiles.down - firstRow)
                let columns = rows * tiles.across
                for c in 0..<g.inChannels {
                    for r in 0..<rows {
                        transformInputRow(image + c * g.storedPlane, g, tiles, tileRow: firstRow + r,
                                          into: scratch.v + c * columns + r * tiles.across,
                                          stride: g.inChannels * columns, scratch: scratch, map: map, channel: c)
                    }
                }
                for point in 0..<points {
                    SmallProducts.multiply(m: outChannels, n: columns, k: g.inChannels,
                                           a: u + point * outChannels * g.inChannels, lda: g.inChannels,
                                           b: scratch.v + point * g.inChannels * columns, ldb: columns,
                                           c: scratch.m + point * outChannels * columns, ldc: columns)
                }
                for o in 0..<outChannels {
                    for r in 0..<rows {
                        let plane = o * g.outHeight * g.outWidth
                        transformOutputRow(scratch.m + o * columns + r * tiles.across, stride: outChannels * columns,
                                           tiles, tileRow: firstRow + r, bias: bias?[o] ?? 0,
                                           into: output + plane, adding: residual.map { $0 + plane })
                    }
                }
            }
        }
    }

    /// V = Bᵀ d B for every tile of one tile row of one channel, written as α² streams (point ξ at `ξ · stride`):
    /// the α input rows are split into phase streams (zeros outside the image), Bᵀ combines the rows, then Bᵀ
    /// combines the columns of each combined row.
    static func transformInputRow(_ channel: UnsafePointer<Float>, _ g: ConvGeometry, _ tiles: Tiles, tileRow: Int,
                                  into v: UnsafeMutablePointer<Float>, stride: Int, scratch: WinogradScratch,
                                  map: InputMap?, channel c: Int) {
        let span = tiles.across + 1, s = scratch.streamStride
        // phases[r][k][t] = input row (m·tileRow − top + r) at column m·t + k − left.
        for r in 0..<alpha {
            let y = m * tileRow - g.padding.top + r
            let rowPhases = scratch.phases + r * m * s
            guard y >= 0, y < g.height else {
                rowPhases.update(repeating: 0, count: m * s)
                continue
            }
            let line = inputRow(channel, y, g, scratch: scratch.row, map: map, channel: c)
            splitPhases(line, width: g.width, left: g.padding.left, span: span, into: rowPhases, streamStride: s)
        }
        var t = 0
        while t + 16 <= tiles.across {
            // A literal 16 lets the inlined transform drop every partial-width branch.
            Tiling.transformInput(phases: scratch.phases, streamStride: s, t: t, into: v, stride: stride, lanes: 16)
            t += 16
        }
        if t < tiles.across {
            Tiling.transformInput(phases: scratch.phases, streamStride: s, t: t, into: v, stride: stride,
                                  lanes: tiles.across - t)
        }
    }

    /// Input row `y` of the geometry's input: the stored row, or normalised into `scratch` (x · scale + shift,
    /// activated) when mapped; for an upsampled input, stored row y / 2 with each value repeated into `scratch`.
    @inline(__always)
    static func inputRow(_ channel: UnsafePointer<Float>, _ y: Int, _ g: ConvGeometry,
                         scratch: UnsafeMutablePointer<Float>, map: InputMap?, channel c: Int) -> UnsafePointer<Float> {
        guard g.inputUpsampled else {
            let line = channel + y * g.width
            guard let map else { return line }
            map.apply(channel: c, line, scratch, count: g.width)
            return UnsafePointer(scratch)
        }
        precondition(map == nil, "an upsampled input is read without normalisation")
        let storedWidth = g.width / 2
        let stored = channel + (y / 2) * storedWidth
        for i in 0..<storedWidth {
            scratch[2 * i] = stored[i]
            scratch[2 * i + 1] = stored[i]
        }
        return UnsafePointer(scratch)
    }

    /// stream k [t] = line[m·t + k − left] for t in 0..<span (zero outside the row). The interior loop reads
    /// all m phases of a tile in one iteration, which vectorises as wide loads plus shuffles (a loop per phase
    /// would become a strided gather, several times slower).
    @inline(__always)
    static func splitPhases(_ line: UnsafePointer<Float>, width: Int, left: Int, span: Int,
                            into streams: UnsafeMutablePointer<Float>, streamStride s: Int) {
        // Tiles whose m columns all lie inside the row: m·t − left ≥ 0 and m·t + m − 1 − left ≤ width − 1.
        let first = min(span, (left + m - 1) / m)
        let last = width + left - m >= 0 ? max(first, min(span, (width + left - m) / m + 1)) : first
        @inline(__always) func edge(_ t: Int) {
            for k in 0..<m {
                let x = m * t + k - left
                streams[k * s + t] = x >= 0 && x < width ? line[x] : 0
            }
        }
        for t in 0..<first { edge(t) }
        for t in last..<span { edge(t) }
        let shifted = line - left
        for t in first..<last {
            for k in 0..<m { streams[k * s + t] = shifted[m * t + k] }
        }
    }

    /// Y = Aᵀ M A + bias for every tile of one tile row of one output channel, into the output plane (clipped
    /// at its edges).
    static func transformOutputRow(_ mRow: UnsafePointer<Float>, stride: Int, _ tiles: Tiles, tileRow: Int,
                                   bias: Float, into plane: UnsafeMutablePointer<Float>,
                                   adding residual: UnsafePointer<Float>?) {
        let g = tiles.geometry
        let rows = min(m, g.outHeight - m * tileRow)
        let first = m * tileRow * g.outWidth
        var t = 0
        while t + 16 <= tiles.across && m * (t + 16) <= g.outWidth && rows == m {
            // Full tiles, full rows: literal arguments let the inlined transform drop its edge branches.
            Tiling.transformOutput(mRow, stride: stride, t: t, lanes: 16, bias: bias, rows: plane + first + m * t,
                                   adding: residual.map { $0 + first + m * t }, rowStride: g.outWidth,
                                   rowCount: m, pixels: 16 * m)
            t += 16
        }
        while t < tiles.across {
            Tiling.transformOutput(mRow, stride: stride, t: t, lanes: min(16, tiles.across - t), bias: bias,
                                   rows: plane + first + m * t, adding: residual.map { $0 + first + m * t },
                                   rowStride: g.outWidth, rowCount: rows, pixels: min(16 * m, g.outWidth - m * t))
            t += 16
        }
    }
}

/// One worker's Winograd buffers: V [α², in, band tiles], M [α², out, band tiles], the phase streams of α input
/// rows (each padded to whole SIMD vectors plus one, for the t + 1 loads).
struct WinogradScratch {
    let v: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let vCount: Int, mCount: Int
    let phases: UnsafeMutablePointer<Float>
    let streamStride: Int
    /// One normalised input row.
    let row: UnsafeMutablePointer<Float>

    init(points: Int, phases phaseCount: Int, rows: Int, tiles: Int, inputs: Int, outputs: Int, width: Int) {
        vCount = points * inputs
        mCount = points * outputs
        v = RecycledMemory.allocate(floats: vCount)
        m = RecycledMemory.allocate(floats: mCount)
        streamStride = ((tiles + 1 + 15) / 16 + 1) * 16
        phases = .allocate(capacity: rows * phaseCount * streamStride)
        phases.initialize(repeating: 0, count: rows * phaseCount * streamStride)
        row = .allocate(capacity: width)
    }

    func deallocate() {
        RecycledMemory.deallocate(v, floats: vCount)
        RecycledMemory.deallocate(m, floats: mCount)
        phases.deallocate(); row.deallocate()
    }
}

// 3×3 stride-1 convolution as Winograd F(2×2, 3×3): per 2×2 output tile Y = Aᵀ[Σ_c U_c ⊙ V_c]A with
// U = G g Gᵀ (weights) and V = Bᵀ d B (4×4 input tile), so the channel sums become 16 GEMMs (one per tile
// point ξ) of 2.25× fewer multiplications than the direct conv. Bands of tile rows run in parallel, each worker
// with its own transform buffers and single-threaded sgemm; transforms are SIMD16 over tiles of one row.

/// Winograd F(2×2, 3×3) for NCHW images and OIHW 3×3 weights.
enum WinogradConvolution {
    /// Floats of one band buffer (V or M); bands are sized to stay within it (about 4 MiB, L2/L3-resident).
    static let bandBudget = 1 << 20

    /// Tile geometry of one convolution.
    struct Tiles {
        let geometry: ConvGeometry
        let outChannels: Int
        /// Tiles per row and tile rows.
        var across: Int { (geometry.outWidth + 1) / 2 }
        var down: Int { (geometry.outHeight + 1) / 2 }
        /// Tile rows per band: enough tiles for an efficient GEMM, few enough to stay in cache.
        var rowsPerBand: Int {
            let perRow = 16 * max(geometry.inChannels, outChannels) * across
            return max(1, min(down, bandBudget / max(perRow, 1)))
        }
        var bands: Int { (down + rowsPerBand - 1) / rowsPerBand }
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for every output and input channel: 16 × out × in floats (caller deallocates).
    static func transformWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int)
        -> UnsafeMutablePointer<Float> {
        let plane = outChannels * inChannels
        let u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * plane)
        parallelFor(outChannels, minimumChunk: 8) { o in
            for c in 0..<inChannels {
                let g = weight + (o * inChannels + c) * 9
                let destination = u + o * inChannels + c
                // t = G g (4×3), then U = t Gᵀ (4×4); G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]].
                for row in 0..<4 {
                    func t(_ column: Int) -> Float {
                        let (a, b, d) = (g[column], g[3 + column], g[6 + column])
                        switch row {
                        case 0: return a
                        case 1: return 0.5 * (a + b + d)
                        case 2: return 0.5 * (a - b + d)
                        default: return d
                        }
                    }
                    let (a, b, d) = (t(0), t(1), t(2))
                    destination[(row * 4) * plane] = a
                    destination[(row * 4 + 1) * plane] = 0.5 * (a + b + d)
                    destination[(row * 4 + 2) * plane] = 0.5 * (a - b + d)
                    destination[(row * 4 + 3) * plane] = d
                }
            }
        }
        return u
    }

    /// One image: `output[o] = bias[o] + conv(image, weight)[o]` (output fully written).
    static func convolve(_ image: UnsafePointer<Float>, _ g: ConvGeometry, transformedWeights u: UnsafePointer<Float>,
                         outChannels: Int, bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
        let tiles = Tiles(geometry: g, outChannels: outChannels)
        BLASThreads.singleThreaded {
            parallelChunks(tiles.bands) { bands in
                var scratch = WinogradScratch(tiles: tiles)
                defer { scratch.deallocate() }
                for band in bands {
                    let firstRow = band * tiles.rowsPerBand
                    let rows = min(tiles.rowsPerBand, tiles.down - firstRow)
                    let columns = rows * tiles.across
                    for c in 0..<g.inChannels {
                        for r in 0..<rows {
                            transformInput(image + c * g.height * g.width, g, tiles, tileRow: firstRow + r,
                                           into: scratch.v + c * columns + r * tiles.across, stride: g.inChannels * columns,
                                           scratch: &scratch)
                        }
                    }
                    for point in 0..<16 {
                        serialSgemm(m: outChannels, n: columns, k: g.inChannels,
                              a: u + point * outChannels * g.inChannels, lda: g.inChannels,
                              b: scratch.v + point * g.inChannels * columns, ldb: columns,
                              c: scratch.m + point * outChannels * columns, ldc: columns)
                    }
                    for o in 0..<outChannels {
                        for r in 0..<rows {
                            transformOutput(scratch.m + o * columns + r * tiles.across, stride: outChannels * columns,
                                            tiles, tileRow: firstRow + r, bias: bias?[o] ?? 0,
                                            into: output + o * g.outHeight * g.outWidth)
                        }
                    }
                }
            }
        }
    }

    /// V = Bᵀ d B for every tile of one tile row of one channel, written as 16 streams (point ξ at `ξ · stride`).
    /// Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]]; rows first (on whole padded rows), then columns on
    /// the rows' even and odd halves, so every load is contiguous.
    @inline(__always)
    static func transformInput(_ channel: UnsafePointer<Float>, _ g: ConvGeometry, _ tiles: Tiles, tileRow: Int,
                               into v: UnsafeMutablePointer<Float>, stride: Int, scratch: inout WinogradScratch) {
        let span = tiles.across + 1
        // even[r][t] = padded row r at 2t, odd[r][t] at 2t + 1 (zeros outside the image).
        for r in 0..<4 {
            let y = 2 * tileRow - g.padding.top + r
            let even = scratch.even + r * scratch.rowStride, odd = scratch.odd + r * scratch.rowStride
            guard y >= 0, y < g.height else {
                even.update(repeating: 0, count: span)
                odd.update(repeating: 0, count: span)
                continue
            }
            let line = channel + y * g.width
            for t in 0..<span {
                let x = 2 * t - g.padding.left
                even[t] = x >= 0 && x < g.width ? line[x] : 0
                odd[t] = x + 1 >= 0 && x + 1 < g.width ? line[x + 1] : 0
            }
        }
        let e = scratch.even, o = scratch.odd, s = scratch.rowStride
        var t = 0
        while t < tiles.across {
            let lanes = min(16, tiles.across - t)
            for i in 0..<4 {
                // Row combination i of Bᵀ on the even and odd halves at t and t + 1 …
                let x0 = combineRows(i, e, s, t), x1 = combineRows(i, o, s, t)
                let x2 = combineRows(i, e, s, t + 1), x3 = combineRows(i, o, s, t + 1)
                // … then the columns: v0 = x0 − x2, v1 = x1 + x2, v2 = x2 − x1, v3 = x1 − x3.
                store(x0 - x2, v + (4 * i) * stride, t, lanes)
                store(x1 + x2, v + (4 * i + 1) * stride, t, lanes)
                store(x2 - x1, v + (4 * i + 2) * stride, t, lanes)
                store(x1 - x3, v + (4 * i + 3) * stride, t, lanes)
            }
            t += 16
        }
    }

    /// Row i of Bᵀ applied to four rows `stride` apart: p0 − p2, p1 + p2, p2 − p1, p1 − p3.
    @inline(__always)
    static func combineRows(_ i: Int, _ base: UnsafePointer<Float>, _ stride: Int, _ offset: Int) -> VectorMath.Vector {
        switch i {
        case 0: return VectorMath.load(base, offset) - VectorMath.load(base, 2 * stride + offset)
        case 1: return VectorMath.load(base, stride + offset) + VectorMath.load(base, 2 * stride + offset)
        case 2: return VectorMath.load(base, 2 * stride + offset) - VectorMath.load(base, stride + offset)
        default: return VectorMath.load(base, stride + offset) - VectorMath.load(base, 3 * stride + offset)
        }
    }

    /// Stores the low `lanes` lanes (all 16 in the common case).
    @inline(__always)
    static func store(_ value: VectorMath.Vector, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int, _ lanes: Int) {
        if lanes == 16 {
            VectorMath.store(value, pointer, offset)
        } else {
            VectorMath.storePartial(value, pointer, offset, count: lanes)
        }
    }

    /// Y = Aᵀ m A + bias for every tile of one tile row of one output channel, into the output plane (clipped
    /// at its edges); Aᵀ = [[1,1,1,0], [0,1,−1,−1]].
    @inline(__always)
    static func transformOutput(_ m: UnsafePointer<Float>, stride: Int, _ tiles: Tiles, tileRow: Int, bias: Float,
                                into plane: UnsafeMutablePointer<Float>) {
        typealias V = VectorMath.Vector
        let g = tiles.geometry
        let height = g.outHeight, width = g.outWidth
        var t = 0
        while t < tiles.across {
            let lanes = min(16, tiles.across - t)
            func point(_ i: Int, _ j: Int) -> V {
                lanes == 16 ? VectorMath.load(m + (4 * i + j) * stride, t)
                    : VectorMath.loadPartial(m + (4 * i + j) * stride, t, count: lanes)
            }
            let shift = V(repeating: bias)
            for a in 0..<2 {
                let y = 2 * tileRow + a
                guard y < height else { continue }
                // Rows of Aᵀ: s = m0 + m1 + m2 (a = 0) or m1 − m2 − m3 (a = 1), per column j …
                func s(_ j: Int) -> V {
                    a == 0 ? point(0, j) + point(1, j) + point(2, j) : point(1, j) - point(2, j) - point(3, j)
                }
                let (s0, s1, s2, s3) = (s(0), s(1), s(2), s(3))
                // … then the columns: left = s0 + s1 + s2, right = s1 − s2 − s3.
                let left = s0 + s1 + s2 + shift, right = s1 - s2 - s3 + shift
                let line = plane + y * width + 2 * t
                let pixels = min(2 * lanes, width - 2 * t)
                if pixels == 32 {
                    for lane in 0..<16 {
                        line[2 * lane] = left[lane]
                        line[2 * lane + 1] = right[lane]
                    }
                } else {
                    for x in 0..<pixels { line[x] = x % 2 == 0 ? left[x / 2] : right[x / 2] }
                }
            }
            t += 16
        }
    }
}

/// One worker's Winograd buffers: V [16, in, band tiles], M [16, out, band tiles] and the padded even / odd
/// halves of four input rows (each padded to whole SIMD vectors plus one, for the t + 1 loads).
struct WinogradScratch {
    let v: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let even: UnsafeMutablePointer<Float>
    let odd: UnsafeMutablePointer<Float>
    let rowStride: Int

    init(tiles: WinogradConvolution.Tiles) {
        let columns = tiles.rowsPerBand * tiles.across
        v = .allocate(capacity: 16 * tiles.geometry.inChannels * columns)
        m = .allocate(capacity: 16 * tiles.outChannels * columns)
        rowStride = ((tiles.across + 1 + 15) / 16 + 1) * 16
        even = .allocate(capacity: 4 * rowStride)
        odd = .allocate(capacity: 4 * rowStride)
        even.initialize(repeating: 0, count: 4 * rowStride)
        odd.initialize(repeating: 0, count: 4 * rowStride)
    }

    func deallocate() {
        v.deallocate(); m.deallocate(); even.deallocate(); odd.deallocate()
    }
}

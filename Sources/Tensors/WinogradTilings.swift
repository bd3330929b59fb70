// The two Winograd tilings of 3×3 convolution (Lavin & Gray, points 0, ±1, ±2, ∞): F(2×2, 3×3) — 16 products
// per 4 outputs, transforms with 0/±1/½ — and F(4×4, 3×3) — 36 per 16, transforms with small integers and
// the G fractions ¼, ⅙, 1⁄12, 1⁄24 (a little more rounding, 1.8× fewer products again). Each transform runs on
// 16 tiles at once (one SIMD16 lane per tile), rows first, then columns, with every value in registers.

typealias Vector16 = VectorMath.Vector

/// F(2×2, 3×3): Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]],
/// Aᵀ = [[1,1,1,0], [0,1,−1,−1]].
enum WinogradF2: WinogradTiling {
    static var outputTile: Int { 2 }
    static var inputTile: Int { 4 }

    @inline(__always)
    static func bt(_ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16)
        -> (Vector16, Vector16, Vector16, Vector16) {
        (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
    }

    @inline(__always)
    static func at(_ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16) -> (Vector16, Vector16) {
        (x0 + x1 + x2, x1 - x2 - x3)
    }

    @inline(__always)
    static func transformKernel(_ g0: Float, _ g1: Float, _ g2: Float, _ out: UnsafeMutablePointer<Float>) {
        out[0] = g0
        out[1] = 0.5 * (g0 + g1 + g2)
        out[2] = 0.5 * (g0 - g1 + g2)
        out[3] = g2
    }

    @inline(__always)
    static func transformInput(phases p: UnsafePointer<Float>, streamStride s: Int, t: Int,
                               into v: UnsafeMutablePointer<Float>, stride: Int, lanes: Int) {
        // Column j of the tiles is phase j % 2 at t + j / 2; row r's phase k sits at (2r + k)·s.
        @inline(__always) func column(_ j: Int) -> (Vector16, Vector16, Vector16, Vector16) {
            let offset = (j % 2) * s + t + j / 2
            return bt(VectorMath.load(p, offset), VectorMath.load(p, 2 * s + offset),
                      VectorMath.load(p, 4 * s + offset), VectorMath.load(p, 6 * s + offset))
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
        // Points in storage order (ξ = 4i + j, one pointer step apart).
        var q = v + t
        @inline(__always) func put(_ value: Vector16) {
            WinogradStore.store(value, q, 0, lanes)
            q += stride
        }
        @inline(__always) func emit(_ i: Int, _ x: (Vector16, Vector16, Vector16, Vector16)) {
            let r = bt(x.0, x.1, x.2, x.3)
            put(r.0); put(r.1); put(r.2); put(r.3)
        }
        emit(0, (c0.0, c1.0, c2.0, c3.0))
        emit(1, (c0.1, c1.1, c2.1, c3.1))
        emit(2, (c0.2, c1.2, c2.2, c3.2))
        emit(3, (c0.3, c1.3, c2.3, c3.3))
    }

    @inline(__always)
    static func transformOutput(_ m: UnsafePointer<Float>, stride: Int, t: Int, lanes: Int, bias: Float,
                                rows: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?,
                                rowStride: Int, rowCount: Int, pixels: Int) {
        // Points in storage order (ξ = 4i + j, one pointer step apart); each row i of the tile reduced by Aᵀ.
        var p = m + t
        @inline(__always) func next() -> Vector16 {
            defer { p += stride }
            return WinogradStore.load(p, 0, lanes)
        }
        @inline(__always) func row() -> (Vector16, Vector16) {
            let x0 = next(), x1 = next(), x2 = next(), x3 = next()
            return at(x0, x1, x2, x3)
        }
        let r0 = row(), r1 = row(), r2 = row(), r3 = row()
        // Then the columns: output row a is Aᵀ over i of the row results' component a.
        let shift = Vector16(repeating: bias)
        let left = at(r0.0, r1.0, r2.0, r3.0), right = at(r0.1, r1.1, r2.1, r3.1)
        WinogradStore.interleave(left.0 + shift, right.0 + shift, into: rows, adding: residual, pixels: pixels)
        if rowCount > 1 {
            WinogradStore.interleave(left.1 + shift, right.1 + shift, into: rows + rowStride,
                                     adding: residual.map { $0 + rowStride }, pixels: pixels)
        }
    }
}

/// F(4×4, 3×3): Bᵀ = [[4,0,−5,0,1,0], [0,−4,−4,1,1,0], [0,4,−4,−1,1,0], [0,−2,−1,2,1,0], [0,2,−1,−2,1,0],
/// [0,4,0,−5,0,1]], G = [[¼,0,0], [−⅙,−⅙,−⅙], [−⅙,⅙,−⅙], [1⁄24,1⁄12,⅙], [1⁄24,−1⁄12,⅙], [0,0,1]],
/// Aᵀ = [[1,1,1,1,1,0], [0,1,−1,2,−2,0], [0,1,1,4,4,0], [0,1,−1,8,−8,1]].
enum WinogradF4: WinogradTiling {
    static var outputTile: Int { 4 }
    static var inputTile: Int { 6 }
    typealias Six = (Vector16, Vector16, Vector16, Vector16, Vector16, Vector16)

    @inline(__always)
    static func bt(_ x: Six) -> Six {
        let x1x3 = x.3 - x.1, x2x4 = x.4 - x.2
        return (4 * x.0 - 5 * x.2 + x.4,
                x.3 + x.4 - 4 * (x.1 + x.2),
                x.4 - x.3 + 4 * (x.1 - x.2),
                2 * x1x3 + x2x4,
                x2x4 - 2 * x1x3,
                4 * x.1 - 5 * x.3 + x.5)
    }

    @inline(__always)
    static func at(_ x: Six) -> (Vector16, Vector16, Vector16, Vector16) {
        let sum12 = x.1 + x.2, difference12 = x.1 - x.2
        let sum34 = x.3 + x.4, difference34 = x.3 - x.4
        return (x.0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34,
                difference12 + 8 * difference34 + x.5)
    }

    @inline(__always)
    static func transformKernel(_ g0: Float, _ g1: Float, _ g2: Float, _ out: UnsafeMutablePointer<Float>) {
        out[0] = g0 / 4
        out[1] = -(g0 + g1 + g2) / 6
        out[2] = -(g0 - g1 + g2) / 6
        out[3] = g0 / 24 + g1 / 12 + g2 / 6
        out[4] = g0 / 24 - g1 / 12 + g2 / 6
        out[5] = g2
    }

    @inline(__always)
    static func transformInput(phases p: UnsafePointer<Float>, streamStride s: Int, t: Int,
                               into v: UnsafeMutablePointer<Float>, stride: Int, lanes: Int) {
        // Column j of the tiles is phase j % 4 at t + j / 4; row r's phase k sits at (4r + k)·s.
        @inline(__always) func column(_ j: Int) -> Six {
            let offset = (j % 4) * s + t + j / 4
            return bt((VectorMath.load(p, offset), VectorMath.load(p, 4 * s + offset),
                       VectorMath.load(p, 8 * s + offset), VectorMath.load(p, 12 * s + offset),
                       VectorMath.load(p, 16 * s + offset), VectorMath.load(p, 20 * s + offset)))
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
        // Points in storage order (ξ = 6i + j, one pointer step apart).
        var q = v + t
        @inline(__always) func put(_ value: Vector16) {
            WinogradStore.store(value, q, 0, lanes)
            q += stride
        }
        @inline(__always) func emit(_ i: Int, _ x: Six) {
            let r = bt(x)
            put(r.0); put(r.1); put(r.2); put(r.3); put(r.4); put(r.5)
        }
        emit(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        emit(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        emit(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
        emit(3, (c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
        emit(4, (c0.4, c1.4, c2.4, c3.4, c4.4, c5.4))
        emit(5, (c0.5, c1.5, c2.5, c3.5, c4.5, c5.5))
    }

    @inline(__always)
    static func transformOutput(_ m: UnsafePointer<Float>, stride: Int, t: Int, lanes: Int, bias: Float,
                                rows: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?,
                                rowStride: Int, rowCount: Int, pixels: Int) {
        // Points in storage order (ξ = 6i + j, one pointer step apart); each row i of the tile reduced by Aᵀ
        // to 4 values (its output columns b).
        var p = m + t
        @inline(__always) func next() -> Vector16 {
            defer { p += stride }
            return WinogradStore.load(p, 0, lanes)
        }
        @inline(__always) func row() -> (Vector16, Vector16, Vector16, Vector16) {
            let x0 = next(), x1 = next(), x2 = next(), x3 = next(), x4 = next(), x5 = next()
            return at((x0, x1, x2, x3, x4, x5))
        }
        let r0 = row(), r1 = row(), r2 = row(), r3 = row(), r4 = row(), r5 = row()
        // Then the columns: Aᵀ over i for each output column b gives that column's 4 output rows.
        let c0 = at((r0.0, r1.0, r2.0, r3.0, r4.0, r5.0)), c1 = at((r0.1, r1.1, r2.1, r3.1, r4.1, r5.1))
        let c2 = at((r0.2, r1.2, r2.2, r3.2, r4.2, r5.2)), c3 = at((r0.3, r1.3, r2.3, r3.3, r4.3, r5.3))
        let shift = Vector16(repeating: bias)
        @inline(__always) func emit(_ a: Int, _ y: (Vector16, Vector16, Vector16, Vector16)) {
            WinogradStore.interleave(y.0 + shift, y.1 + shift, y.2 + shift, y.3 + shift, into: rows + a * rowStride,
                                     adding: residual.map { $0 + a * rowStride }, pixels: pixels)
        }
        emit(0, (c0.0, c1.0, c2.0, c3.0))
        guard rowCount > 1 else { return }
        emit(1, (c0.1, c1.1, c2.1, c3.1))
        guard rowCount > 2 else { return }
        emit(2, (c0.2, c1.2, c2.2, c3.2))
        guard rowCount > 3 else { return }
        emit(3, (c0.3, c1.3, c2.3, c3.3))
    }
}

/// Partial-width loads and stores, and the interleaving store of output pixels.
enum WinogradStore {
    /// 16 floats from `pointer + offset`, or the low `lanes` of them (zeros above).
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ offset: Int, _ lanes: Int) -> Vector16 {
        lanes == 16 ? VectorMath.load(pointer, offset) : VectorMath.loadPartial(pointer, offset, count: lanes)
    }

    /// Stores the low `lanes` lanes (all 16 in the common case).
    @inline(__always)
    static func store(_ value: Vector16, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int, _ lanes: Int) {
        if lanes == 16 {
            VectorMath.store(value, pointer, offset)
        } else {
            VectorMath.storePartial(value, pointer, offset, count: lanes)
        }
    }

    /// row[2l] = a[l], row[2l + 1] = b[l] (+ residual at the same place) for the first `pixels` pixels.
    @inline(__always)
    static func interleave(_ a: Vector16, _ b: Vector16, into row: UnsafeMutablePointer<Float>,
                           adding residual: UnsafePointer<Float>?, pixels: Int) {
        if pixels == 32 {
            var low = SIMD16<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3],
                                    a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
            var high = SIMD16<Float>(a[8], b[8], a[9], b[9], a[10], b[10], a[11], b[11],
                                     a[12], b[12], a[13], b[13], a[14], b[14], a[15], b[15])
            if let residual {
                low += VectorMath.load(residual, 0)
                high += VectorMath.load(residual, 16)
            }
            VectorMath.store(low, row, 0)
            VectorMath.store(high, row, 16)
        } else {
            for x in 0..<pixels { row[x] = (x % 2 == 0 ? a[x / 2] : b[x / 2]) + (residual?[x] ?? 0) }
        }
    }

    /// row[4l + k] = (a, b, c, d)[k][l] (+ residual at the same place) for the first `pixels` pixels.
    @inline(__always)
    static func interleave(_ a: Vector16, _ b: Vector16, _ c: Vector16, _ d: Vector16,
                           into row: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, pixels: Int) {
        if pixels == 64 {
            for quarter in 0..<4 {
                let l = 4 * quarter
                var value = SIMD16<Float>(a[l], b[l], c[l], d[l], a[l + 1], b[l + 1], c[l + 1], d[l + 1],
                                          a[l + 2], b[l + 2], c[l + 2], d[l + 2], a[l + 3], b[l + 3], c[l + 3], d[l + 3])
                if let residual { value += VectorMath.load(residual, 16 * quarter) }
                VectorMath.store(value, row, 16 * quarter)
            }
        } else {
            for x in 0..<pixels {
                let lane = x / 4
                let value: Float
                switch x % 4 {
                case 0: value = a[lane]
                case 1: value = b[lane]
                case 2: value = c[lane]
                default: value = d[lane]
                }
                row[x] = value + (residual?[x] ?? 0)
            }
        }
    }
}

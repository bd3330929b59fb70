// C = A · B for the small, many products of Winograd's tile points (out channels × in channels by in channels ×
// tiles, k = 128…1280): both operands are read where they lie, with no packing. Every point's A is the same
// transformed weight matrix and its B was just written by the input transform, row-major and cache-resident, so
// OpenBLAS's packing of both (each call) is pure overhead there: measured 16 % of a VAE decode. The bulk runs
// as 8 × 32 register blocks (16 SIMD16 accumulators: per step of k, 2 row loads and 8 broadcasts feed 16 FMAs);
// the rows and columns past the last whole block go to sgemm. Each output sums its terms in chunks of 64, each
// chunk's sum added to C: a SIMD16 lane summing all k terms in order rounded 1.6× more than OpenBLAS did over a
// VAE decode (1.3e-5 against 8.2e-6 from float64, SDXL 512²); in chunks, 5.6e-6.
// Equals `Reference.matrixProduct` within max|a−b|/max|b| ≤ 1e-6, and rounds long sums (k = 8192) several times
// less than a sum in order (SmallProductsTests).

/// Row-major products C[m × n] = A[m × k] · B[k × n] read in place (the Winograd tile-point products).
public enum SmallProducts {
    typealias V = VectorMath.Vector

    /// c = a · b, with rows `lda`, `ldb`, `ldc` apart (C overwritten), on the calling thread.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let blockRows = m / 8 * 8, blockColumns = n / 32 * 32
        var t = 0
        while t < blockColumns {
            var o = 0
            while o < blockRows {
                block(a + o * lda, lda: lda, b + t, ldb: ldb, k: k, c + o * ldc + t, ldc: ldc)
                o += 8
            }
            t += 32
        }
        if blockRows < m {
            serialSgemm(m: m - blockRows, n: n, k: k, a: a + blockRows * lda, lda: lda, b: b, ldb: ldb,
                        c: c + blockRows * ldc, ldc: ldc)
        }
        if blockColumns < n, blockRows > 0 {
            serialSgemm(m: blockRows, n: n - blockColumns, k: k, a: a, lda: lda, b: b + blockColumns, ldb: ldb,
                        c: c + blockColumns, ldc: ldc)
        }
    }

    /// Terms summed in registers before a partial sum is added to C: blocked summation, whose rounding grows
    /// with k / chunk + chunk rather than with k.
    static let chunk = 64

    /// c[r][0..<32] = Σ_j a[r][j] · b[j][0..<32] for 8 rows r: a chunk of j at a time in registers, each
    /// chunk's sums added to C.
    @inline(__always)
    static func block(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        var first = 0
        while first < k {
            let last = min(k, first + chunk)
            chunkSums(a, lda: lda, b, ldb: ldb, terms: first..<last, c, ldc: ldc, adding: first > 0)
            first = last
        }
    }

    /// c[r][0..<32] (+)= Σ_{j ∈ terms} a[r][j] · b[j][0..<32] for 8 rows r.
    @inline(__always)
    static func chunkSums(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                          terms: Range<Int>, _ c: UnsafeMutablePointer<Float>, ldc: Int, adding: Bool) {
        var l0 = V(), h0 = V(), l1 = V(), h1 = V(), l2 = V(), h2 = V(), l3 = V(), h3 = V()
        var l4 = V(), h4 = V(), l5 = V(), h5 = V(), l6 = V(), h6 = V(), l7 = V(), h7 = V()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        let a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda
        var row = b + terms.lowerBound * ldb
        for j in terms {
            let low = VectorMath.load(row, 0), high = VectorMath.load(row, 16)
            var y = a0[j]; l0 = l0.addingProduct(y, low); h0 = h0.addingProduct(y, high)
            y = a1[j]; l1 = l1.addingProduct(y, low); h1 = h1.addingProduct(y, high)
            y = a2[j]; l2 = l2.addingProduct(y, low); h2 = h2.addingProduct(y, high)
            y = a3[j]; l3 = l3.addingProduct(y, low); h3 = h3.addingProduct(y, high)
            y = a4[j]; l4 = l4.addingProduct(y, low); h4 = h4.addingProduct(y, high)
            y = a5[j]; l5 = l5.addingProduct(y, low); h5 = h5.addingProduct(y, high)
            y = a6[j]; l6 = l6.addingProduct(y, low); h6 = h6.addingProduct(y, high)
            y = a7[j]; l7 = l7.addingProduct(y, low); h7 = h7.addingProduct(y, high)
            row += ldb
        }
        @inline(__always) func put(_ low: V, _ high: V, _ r: Int) {
            let at = c + r * ldc
            VectorMath.store(adding ? low + VectorMath.load(at, 0) : low, at, 0)
            VectorMath.store(adding ? high + VectorMath.load(at, 16) : high, at, 16)
        }
        put(l0, h0, 0); put(l1, h1, 1); put(l2, h2, 2); put(l3, h3, 3)
        put(l4, h4, 4); put(l5, h5, 5); put(l6, h6, 6); put(l7, h7, 7)
    }
}

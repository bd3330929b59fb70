// C = A · B for the small, many products of Winograd's tile points (out channels × in channels by in channels ×
// tiles, k = 128…1280): both operands are read where they lie, with no packing. Every point's A is the same
// transformed weight matrix and its B was just written by the input transform, row-major and cache-resident, so
// OpenBLAS's packing of both (each call) is pure overhead there: measured 16 % of a VAE decode. The bulk runs
// as 8 × 32 register blocks (16 SIMD16 accumulators: per step of k, 2 row loads and 8 broadcasts feed 16 FMAs);
// the rows and columns past the last whole block go to sgemm. Each output is one sum over k in order.
// Equals `Reference.matrixProduct` within max|a−b|/max|b| ≤ 1e-6 (SmallProductsTests).

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

    /// c[r][0..<32] = Σ_j a[r][j] · b[j][0..<32] for 8 rows r.
    @inline(__always)
    static func block(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        var l0 = V(), h0 = V(), l1 = V(), h1 = V(), l2 = V(), h2 = V(), l3 = V(), h3 = V()
        var l4 = V(), h4 = V(), l5 = V(), h5 = V(), l6 = V(), h6 = V(), l7 = V(), h7 = V()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        let a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda
        var row = b
        for j in 0..<k {
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
        VectorMath.store(l0, c, 0); VectorMath.store(h0, c, 16)
        VectorMath.store(l1, c, ldc); VectorMath.store(h1, c, ldc + 16)
        VectorMath.store(l2, c, 2 * ldc); VectorMath.store(h2, c, 2 * ldc + 16)
        VectorMath.store(l3, c, 3 * ldc); VectorMath.store(h3, c, 3 * ldc + 16)
        VectorMath.store(l4, c, 4 * ldc); VectorMath.store(h4, c, 4 * ldc + 16)
        VectorMath.store(l5, c, 5 * ldc); VectorMath.store(h5, c, 5 * ldc + 16)
        VectorMath.store(l6, c, 6 * ldc); VectorMath.store(h6, c, 6 * ldc + 16)
        VectorMath.store(l7, c, 7 * ldc); VectorMath.store(h7, c, 7 * ldc + 16)
    }
}

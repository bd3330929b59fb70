// C = alpha · op(A) · op(B) + beta · C, row-major, op = identity or transpose.
// The one BLAS call of the project: OpenBLAS cblas_sgemm. Everything else is ours.

import COpenBLAS

/// Row-major single-precision GEMM: `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
/// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before any transpose).
@inlinable
public func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS leaves C scaled by beta; make that explicit so beta = 0 never reads garbage.
        for row in 0..<m {
            let line = c + row * ldc
            for col in 0..<n { line[col] = beta == 0 ? 0 : beta * line[col] }
        }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Controls OpenBLAS's own thread pool, so our parallel regions never oversubscribe the cores.
public enum BLASThreads {
    /// The thread count OpenBLAS uses for one GEMM call.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// Runs `body` with OpenBLAS limited to one thread (for GEMMs issued from inside `parallelFor`).
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let previous = count
        if previous == 1 { return try body() }
        count = 1
        defer { count = previous }
        return try body()
    }
}

extension Tensor {
    /// Matrix product of the last two dimensions, batched over the leading ones:
    /// `[…, m, k] · [k, n]` or `[…, m, k] · […, k, n]` (equal leading dimensions).
    public func matmul(_ other: Tensor, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank ≥ 2, got \(shape) and \(other.shape)")
        let m = shape[rank - 2], k = shape[rank - 1]
        let otherRows = other.shape[other.rank - 2], otherCols = other.shape[other.rank - 1]
        let n = transposeOther ? otherRows : otherCols
        precondition((transposeOther ? otherCols : otherRows) == k, "matmul shape mismatch \(shape) · \(other.shape)")
        let batch = count / (m * k)
        let otherBatch = other.count / (otherRows * otherCols)
        precondition(otherBatch == 1 || otherBatch == batch, "matmul batch mismatch \(shape) · \(other.shape)")
        var result = Tensor(uninitialized: Array(shape.dropLast()) + [n])
        FLOPCounter.add(2 * Double(batch * m) * Double(n * k))
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    if otherBatch == 1 {
                        // One big GEMM: the batch folds into the rows.
                        sgemm(transposeB: transposeOther, m: batch * m, n: n, k: k,
                              a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: otherCols,
                              c: c.baseAddress!, ldc: n)
                    } else {
                        for i in 0..<batch {
                            sgemm(transposeB: transposeOther, m: m, n: n, k: k,
                                  a: a.baseAddress! + i * m * k, lda: k,
                                  b: b.baseAddress! + i * otherRows * otherCols, ldb: otherCols,
                                  c: c.baseAddress! + i * m * n, ldc: n)
                        }
                    }
                }
            }
        }
        return result
    }
}

// C = alpha · op(A) · op(B) + beta · C, row-major, op = identity or transpose.
// The one BLAS call of the project: OpenBLAS cblas_sgemm, always single-threaded, with large products split
// over our own workers. Everything else is ours.

import COpenBLAS

/// Row-major single-precision GEMM: `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
/// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before any transpose).
/// Large products are split over the workers (the longer of m and n, in contiguous blocks), each block one
/// single-threaded OpenBLAS call: one thread pool for the whole engine, and results that depend only on the
/// worker count. Call `serialSgemm` from inside a `parallelFor` body.
public func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let workers = min(parallelWorkerCount, GEMMSplit.blocks(m: m, n: n, k: k))
    guard workers > 1 else {
        serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let splitColumns = n >= m
    let extent = splitColumns ? n : m
    // Blocks of whole 16-wide columns (or 8 rows), so every block keeps full SIMD panels.
    let grain = splitColumns ? 16 : 8
    let units = (extent + grain - 1) / grain
    parallelChunks(units, minimumChunk: 1) { range in
        let start = range.lowerBound * grain, end = min(extent, range.upperBound * grain)
        guard start < end else { return }
        if splitColumns {
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k, alpha: alpha,
                        a: a, lda: lda, b: b + (transposeB ? start * ldb : start), ldb: ldb, beta: beta,
                        c: c + start, ldc: ldc)
        } else {
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k, alpha: alpha,
                        a: a + (transposeA ? start : start * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                        c: c + start * ldc, ldc: ldc)
        }
    }
}

/// When a GEMM is worth splitting over the workers.
enum GEMMSplit {
    /// Below this many multiply-adds a product runs on one thread (the split would cost more than it saves).
    static let minimumWork = 1 << 21

    /// How many blocks a product may be split into (1: run it whole).
    static func blocks(m: Int, n: Int, k: Int) -> Int {
        guard m > 0, n > 0, k > 0, Double(m) * Double(n) * Double(k) >= Double(minimumWork) else { return 1 }
        return max(1, max((n + 15) / 16, (m + 7) / 8))
    }
}

/// `sgemm` on the calling thread alone: the one place the engine calls OpenBLAS, always with one thread.
@inlinable
public func serialSgemm(
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
    BLASThreads.ensureSingleThreaded()
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// OpenBLAS's own thread pool, kept at one thread: the engine's workers parallelise around it instead, so
/// OpenBLAS threads never spin on cores our kernels need.
public enum BLASThreads {
    /// The thread count OpenBLAS uses for one GEMM call.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// Sets OpenBLAS to one thread, once per process.
    @usableFromInline static func ensureSingleThreaded() { _ = singleThreadedOnce }

    private static let singleThreadedOnce: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
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
        KernelProfile.run("matmul", flops: 2 * Double(batch * m) * Double(n * k)) {
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
        }
        return result
    }
}

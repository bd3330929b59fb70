import Tensors
import TestSupport
import XCTest

/// The packing-free tile-point products against the Double reference: whole 8 × 32 blocks, remainder rows and
/// columns (sgemm's share), shapes with no whole block, and operands inside wider rows.
final class SmallProductsTests: XCTestCase {
    func testProductsMatchTheReferenceOnBlocksAndRemainders() {
        let shapes = [(8, 32, 1), (16, 64, 128), (19, 77, 37), (7, 31, 5), (136, 96, 512), (8, 40, 300)]
        for (index, (m, n, k)) in shapes.enumerated() {
            let a = Tensor.pattern([m, k], seed: UInt64(2 * index + 1))
            let b = Tensor.pattern([k, n], seed: UInt64(2 * index + 2))
            XCTAssertClose(product(a, b, padding: 0), Reference.matrixProduct(a, b), relativeTolerance: 1e-6,
                           "\(m)×\(n)×\(k)")
            XCTAssertClose(product(a, b, padding: 5), Reference.matrixProduct(a, b), relativeTolerance: 1e-6,
                           "\(m)×\(n)×\(k), rows 5 wider")
        }
    }

    func testLongSumsAreBlockedSoTheirRoundingStaysBelowASequentialSums() {
        // Positive terms, k = 8192: a sum in order drifts with k; the kernel adds chunks of `chunk` terms.
        let m = 8, n = 32, k = 8192
        let a = Tensor(shape: [m, k], values: Tensor.pattern([m, k], seed: 21).scalars.map(abs))
        let b = Tensor(shape: [k, n], values: Tensor.pattern([k, n], seed: 22).scalars.map(abs))
        let expected = Reference.matrixProduct(a, b)
        let x = a.scalars, y = b.scalars
        var sequential = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for l in 0..<k { sum = sum.addingProduct(x[i * k + l], y[l * n + j]) }
                sequential[i * n + j] = sum
            }
        }
        let blockedError = relativeError(product(a, b, padding: 0), expected)
        let sequentialError = relativeError(Tensor(shape: [m, n], values: sequential), expected)
        XCTAssertLessThan(blockedError, sequentialError / 4)
    }

    /// `SmallProducts.multiply` with every operand stored in rows `padding` floats wider than its width.
    func product(_ a: Tensor, _ b: Tensor, padding: Int) -> Tensor {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let lda = k + padding, ldb = n + padding, ldc = n + padding
        var wideA = [Float](repeating: .nan, count: m * lda), wideB = [Float](repeating: .nan, count: k * ldb)
        let x = a.scalars, y = b.scalars
        for i in 0..<m { for l in 0..<k { wideA[i * lda + l] = x[i * k + l] } }
        for l in 0..<k { for j in 0..<n { wideB[l * ldb + j] = y[l * n + j] } }
        var wideC = [Float](repeating: .nan, count: m * ldc)
        wideA.withUnsafeBufferPointer { pa in
            wideB.withUnsafeBufferPointer { pb in
                wideC.withUnsafeMutableBufferPointer { pc in
                    SmallProducts.multiply(m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                           c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        for i in 0..<m { for j in n..<ldc { XCTAssertTrue(wideC[i * ldc + j].isNaN, "wrote past row \(i)") } }
        return Tensor(shape: [m, n], values: (0..<m * n).map { wideC[($0 / n) * ldc + $0 % n] })
    }
}

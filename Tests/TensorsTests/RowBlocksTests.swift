import Tensors
import TestSupport
import XCTest

/// A row-wise function computed over blocks of rows gives what it gives on the whole tensor: max|Δ|/max|ref|
/// ≤ 1e-6 (measured 3.6e-7: OpenBLAS and the worker split choose their blocking by the product's shape).
final class RowBlocksTests: XCTestCase {
    func testFeedForwardOverRowBlocksMatchesWholeTensor() {
        func random(_ shape: [Int], seed: Int) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float(sin(Double($0 * 7 + seed))) })
        }
        let x = random([2, 150, 24], seed: 1), projection = random([64, 24], seed: 2), output = random([24, 32], seed: 3)
        let feedForward = { (rows: Tensor) in rows.linear(weight: projection).geglu().linear(weight: output) }
        let whole = feedForward(x)
        let blocked = x.mappingRowBlocks(of: 64, outputWidth: 24, feedForward)   // 300 rows: 4 full blocks + 44
        XCTAssertEqual(blocked.shape, [2, 150, 24])
        XCTAssertClose(blocked, whole, relativeTolerance: 1e-6, "row blocks of 64")
    }
}

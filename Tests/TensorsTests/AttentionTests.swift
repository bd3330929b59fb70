import Tensors
import TestSupport
import XCTest

/// Tiled attention against `F.scaled_dot_product_attention`: max|Δ|/max|ref| ≤ 1e-4.
final class AttentionTests: XCTestCase {
    func testAttentionMatchesTorch() throws {
        let cases = try KernelCase.load("attention")
        XCTAssertEqual(cases.count, 9)
        for c in cases {
            let output = Attention.scaledDotProduct(query: c["query"], key: c["key"], value: c["value"],
                                                    heads: c.int("heads"), causal: c.bool("causal"))
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-4, c.name)
        }
    }

    func testScratchIsIndependentOfSequenceLength() {
        // The only per-call memory besides the output is this per-worker tile: no N×N buffer.
        XCTAssertEqual(Attention.scratchFloats(headDim: 40), 64 * 1024 + 64 * 40 + 3 * 64)
    }
}

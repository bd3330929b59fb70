import Tensors
import TestSupport
import XCTest

/// Group norm, layer norm and softmax against torch: max|Δ|/max|ref| ≤ 1e-5.
final class NormalizationTests: XCTestCase {
    func testGroupNormMatchesTorch() throws {
        for c in try KernelCase.load("group_norm") {
            let output = c["input"].groupNorm(groups: c.int("groups"), weight: c.optional("weight"), bias: c.optional("bias"),
                                              epsilon: c.float("eps"), activation: c.bool("silu") ? .silu : nil)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testLayerNormMatchesTorch() throws {
        for c in try KernelCase.load("layer_norm") {
            let output = c["input"].layerNorm(weight: c["weight"], bias: c["bias"], epsilon: c.float("eps"))
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testSoftmaxMatchesTorch() throws {
        for c in try KernelCase.load("softmax") {
            XCTAssertClose(c["input"].softmax(), c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testSoftmaxRowsSumToOne() {
        let logits = Tensor(shape: [2, 19], values: (0..<38).map { Float($0 * 7 % 11) - 5 })
        let probabilities = logits.softmax().scalars
        for row in 0..<2 {
            XCTAssertEqual(probabilities[(row * 19)..<(row * 19 + 19)].reduce(0, +), 1, accuracy: 1e-6)
        }
    }
}

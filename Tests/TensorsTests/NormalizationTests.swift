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

    func testGroupNormKeepsPrecisionForALargeMeanAndSmallSpread() {
        // 100 + a spread of ±1 over 3 blocks and a tail (1000 values): the one-read statistics must match a
        // Double two-pass reference to 1e-4 of the output's range (a Float Σx² − (Σx)²/n is off by ~1e-3; the
        // scale-shift itself, x·a + b as torch computes it, costs ~1e-5 at this offset).
        let count = 1000
        let values: [Float] = (0..<count).map { i in
            let spread = Float((i * 37) % 101 - 50) / 50
            return 100 + spread + (i == 0 ? 2 : 0)
        }
        let x = Tensor(shape: [1, 1, count], values: values)
        let mean: Double = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance: Double = values.reduce(0.0) { sum, v in sum + (Double(v) - mean) * (Double(v) - mean) } / Double(count)
        let scale: Double = 1 / (variance + 1e-6).squareRoot()
        let expected = Tensor(shape: [1, 1, count], values: values.map { Float((Double($0) - mean) * scale) })
        let normalized = x.groupNorm(groups: 1, weight: nil, bias: nil, epsilon: 1e-6)
        XCTAssertClose(normalized, expected, relativeTolerance: 1e-4, "large mean")
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

import Tensors
import TestSupport
import XCTest

/// SiLU, GELU (erf and tanh), QuickGELU against torch over [-100, 100]: max|Δ|/max|ref| ≤ 1e-5.
final class ActivationTests: XCTestCase {
    func testActivationsMatchTorch() throws {
        let cases = try KernelCase.load("activations")
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            let activation = try XCTUnwrap(Activation(configName: c.string("activation")))
            XCTAssertClose(c["input"].applying(activation), c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testActivationsAreAccurateNearZero() throws {
        // Relative to max|ref| alone, small inputs could hide a large relative error: check them on their own.
        for c in try KernelCase.load("activations") {
            let activation = try XCTUnwrap(Activation(configName: c.string("activation")))
            let small = c["input"].scalars.enumerated().filter { abs($0.element) < 1 }
            let input = Tensor(shape: [small.count], values: small.map(\.element))
            let expected = Tensor(shape: [small.count], values: small.map { c["output"].scalars[$0.offset] })
            XCTAssertClose(input.applying(activation), expected, relativeTolerance: 1e-5, c.name)
        }
    }

    func testUnknownActivationNameIsRejected() {
        XCTAssertNil(Activation(configName: "relu6"))
    }
}

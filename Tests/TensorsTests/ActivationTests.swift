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

    func testGEGLUEqualsTheHalvesComposedOneByOne() throws {
        // h · gelu(g) for [h, g] = chunk(2, -1): the same per-element operations as chunk + GELU + multiply,
        // so the one-pass kernel must agree bit for bit (33 wide: two SIMD16 chunks and a tail per row).
        let gelu = try XCTUnwrap(KernelCase.load("activations").first { $0.string("activation") == "gelu" })
        let values = Array(gelu["input"].scalars.prefix(3 * 66))
        let x = Tensor(shape: [3, 66], values: values)
        let halves = x.chunked(into: 2, along: -1)
        XCTAssertEqual(x.geglu().shape, [3, 33])
        XCTAssertEqual(x.geglu().scalars, (halves[0] * halves[1].applying(.gelu)).scalars)
    }

    func testReLUIsMaxOfZeroAndTheInput() throws {
        // TAESD's activation: exact, so compared bit for bit with the reference (33 values: two SIMD16 chunks + 1).
        let relu = try XCTUnwrap(Activation(configName: "relu"))
        let values = (0..<33).map { Float($0 - 16) * 0.37 }
        let expected = values.map { Float(Reference.activation(relu, Double($0))) }
        XCTAssertEqual(Tensor(shape: [33], values: values).applying(relu).scalars, expected)
    }

    func testUnknownActivationNameIsRejected() {
        XCTAssertNil(Activation(configName: "relu6"))
    }
}

import Tensors
import TestSupport
import XCTest

/// Conv2d against `F.conv2d` (with `F.pad` for asymmetric padding): max|Δ|/max|ref| ≤ 1e-5.
final class Conv2DTests: XCTestCase {
    func testConv2DMatchesTorchForEveryFixtureCase() throws {
        let cases = try KernelCase.load("conv2d")
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let padding = Padding2D(top: c.int("top"), bottom: c.int("bottom"), left: c.int("left"), right: c.int("right"))
            let output = c["input"].conv2d(weight: c["weight"], bias: c.optional("bias"), stride: c.int("stride"), padding: padding)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testUniformPaddingOverloadEqualsExplicitPadding() {
        let input = Tensor(shape: [1, 2, 4, 4], values: (0..<32).map { Float($0) / 7 })
        let weight = Tensor(shape: [3, 2, 3, 3], values: (0..<54).map { Float($0 % 5) - 2 })
        let a = input.conv2d(weight: weight, stride: 1, padding: 1)
        let b = input.conv2d(weight: weight, stride: 1, padding: .uniform(1))
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertEqual(a.shape, [1, 3, 4, 4])
    }
}

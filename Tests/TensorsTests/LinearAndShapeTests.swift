import Tensors
import TestSupport
import XCTest

/// Linear, nearest upsampling and broadcasting against torch; concat/chunk/reshape by construction.
final class LinearAndShapeTests: XCTestCase {
    func testLinearMatchesTorch() throws {
        for c in try KernelCase.load("linear") {
            let output = c["input"].linear(weight: c["weight"], bias: c.optional("bias"))
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testUpsampleAndBroadcastMatchTorch() throws {
        for c in try KernelCase.load("misc") {
            switch c.string("op") {
            case "upsample": XCTAssertEqual(c["input"].upsampledNearest2x().scalars, c["output"].scalars, c.name)
            case "add": XCTAssertClose(c["lhs"] + c["rhs"], c["output"], relativeTolerance: 1e-6, c.name)
            case "mul": XCTAssertClose(c["lhs"] * c["rhs"], c["output"], relativeTolerance: 1e-6, c.name)
            default: XCTFail("unknown op in \(c.name)")
            }
        }
    }

    func testConcatenateThenChunkRestoresTheParts() {
        let a = Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
        let b = Tensor(shape: [2, 1, 2], values: (100..<104).map(Float.init))
        let joined = Tensor.concatenate([a, b], along: 1)
        XCTAssertEqual(joined.shape, [2, 4, 2])
        XCTAssertEqual(joined.scalars, [0, 1, 2, 3, 4, 5, 100, 101, 6, 7, 8, 9, 10, 11, 102, 103])
        let halves = joined.chunked(into: 2, along: 0)
        XCTAssertEqual(halves[1].scalars, [6, 7, 8, 9, 10, 11, 102, 103])
    }

    func testReshapeSharesStorageUntilWritten() {
        var a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = a.reshaped([3, -1])
        XCTAssertEqual(b.shape, [3, 2])
        a[0, 0] = 42
        XCTAssertEqual(b.scalars.first, 1, "a write must not leak into a reshaped copy")
        XCTAssertEqual(a.scalars.first, 42)
    }

    func testStorageIs64ByteAligned() {
        let t = Tensor(zeros: [3, 7])
        t.withUnsafeBufferPointer { XCTAssertEqual(Int(bitPattern: $0.baseAddress!) % 64, 0) }
    }

    func testMatmulBatchedEqualsPerBatchProducts() {
        let a = Tensor(shape: [2, 2, 3], values: (0..<12).map(Float.init))
        let b = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1])
        XCTAssertEqual(a.matmul(b).scalars, [2, 3, 8, 9, 14, 15, 20, 21])
    }
}

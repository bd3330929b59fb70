import Tensors
import XCTest

/// Large tensor buffers are kept after use for the next tensor of the same size, within a bound.
final class RecycledMemoryTests: XCTestCase {
    let largeShape = [1, 320, 32, 32]   // 1.25 MiB: recycled

    override func setUp() { RecycledMemory.releaseIdle() }
    override func tearDown() { RecycledMemory.releaseIdle() }

    func testAFreedLargeBufferServesTheNextTensorOfTheSameSize() {
        var first: UnsafePointer<Float>?
        do {
            let tensor = Tensor(repeating: .nan, shape: largeShape)
            first = tensor.withUnsafeBufferPointer { $0.baseAddress }
        }
        XCTAssertEqual(RecycledMemory.idleBytes, 320 * 32 * 32 * 4)
        // Zeroed from dirty (NaN-filled) memory, and the very same buffer.
        let zeros = Tensor(zeros: largeShape)
        XCTAssertEqual(zeros.withUnsafeBufferPointer { $0.baseAddress }, first)
        XCTAssertTrue(zeros.scalars.allSatisfy { $0 == 0 })
        XCTAssertEqual(RecycledMemory.idleBytes, 0)
    }

    func testSmallTensorsAreNotKept() {
        _ = Tensor(repeating: 1, shape: [1, 4, 64, 64])   // 64 KiB
        XCTAssertEqual(RecycledMemory.idleBytes, 0)
    }

    func testIdleBuffersStayWithinTheBudgetAndAreReleased() {
        // 40 distinct sizes of 4–8 MiB (≈ 240 MiB in all) freed one after another: the oldest are unmapped.
        for i in 0..<40 {
            _ = Tensor(repeating: Float(i), shape: [1 << 20 + i * (1 << 16)])
            XCTAssertLessThanOrEqual(RecycledMemory.idleBytes, RecycledMemory.idleBudget)
        }
        XCTAssertGreaterThan(RecycledMemory.idleBytes, RecycledMemory.idleBudget / 2)
        KeptScratch.releaseAll()
        XCTAssertEqual(RecycledMemory.idleBytes, 0)
    }
}

import Tensors
import XCTest

/// The kernel ledger: calls, FLOPs, and the CPU time beside the wall time of each family.
final class KernelProfileTests: XCTestCase {
    func testEachFamilyRecordsItsCallsFLOPsAndCPUTime() throws {
        let x = Tensor.pattern([256, 512], seed: 1), w = Tensor.pattern([512, 512], seed: 2)
        let profile = KernelProfile.measure {
            for _ in 0..<4 { _ = x.linear(weight: w) }
        }
        let linear = try XCTUnwrap(profile.entries.first { $0.name == "linear" })
        XCTAssertEqual(linear.calls, 4)
        XCTAssertEqual(linear.flops, 4 * 2 * 256 * 512 * 512)
        XCTAssertGreaterThan(linear.cpuSeconds, 0, "the calls' CPU time is recorded")
        // CPU time can exceed wall time only by running on several workers at once (plus clock granularity).
        XCTAssertLessThanOrEqual(linear.cpuSeconds, linear.seconds * Double(parallelWorkerCount) + 0.01)
    }
}

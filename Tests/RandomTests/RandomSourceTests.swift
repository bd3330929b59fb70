// makeGenerator picks the generator kind named by the source and seeds it.

import Random
import XCTest

final class RandomSourceTests: XCTestCase {
    /// "cpu" and "cuda" parse, and each makes the matching, seeded generator.
    func testSourcesMakeTheirSeededGenerators() {
        XCTAssertEqual(RandomSource(rawValue: "cpu"), .cpu)
        XCTAssertEqual(RandomSource(rawValue: "cuda"), .cuda)
        XCTAssertNil(RandomSource(rawValue: "mps"))
        let cpu = makeGenerator(.cpu, seed: 9), cuda = makeGenerator(.cuda, seed: 9)
        XCTAssertEqual((cpu as? TorchCPUGenerator)?.seed, 9)
        XCTAssertEqual((cuda as? TorchCUDAGenerator)?.seed, 9)
        XCTAssertEqual(cpu.randn([5]).scalars, TorchCPUGenerator(seed: 9).randn([5]).scalars)
    }
}

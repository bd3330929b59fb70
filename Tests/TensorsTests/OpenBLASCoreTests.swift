import Tensors
import XCTest

/// The correction of OpenBLAS's fallback kernels: AVX-512 CPUs get SkylakeX unless an AVX-512 family was chosen,
/// AVX2 ones Haswell only in place of a pre-AVX2 fallback, and anything else keeps OpenBLAS's choice.
final class OpenBLASCoreTests: XCTestCase {
    let avx512: Set = ["sse3", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]

    func testAnAVX512CPUOnFallbackKernelsGetsSkylakeX() {
        XCTAssertEqual(OpenBLASCore.betterCoreType(flags: avx512, current: "Prescott"), "SKYLAKEX")
        XCTAssertEqual(OpenBLASCore.betterCoreType(flags: avx512, current: "Haswell"), "SKYLAKEX")
        XCTAssertNil(OpenBLASCore.betterCoreType(flags: avx512, current: "SkylakeX"))
        XCTAssertNil(OpenBLASCore.betterCoreType(flags: avx512, current: "Cooperlake"))
    }

    func testAnAVX2CPUIsCorrectedOnlyFromAFallback() {
        let avx2: Set = ["sse3", "avx2", "fma"]
        XCTAssertEqual(OpenBLASCore.betterCoreType(flags: avx2, current: "Prescott"), "HASWELL")
        XCTAssertNil(OpenBLASCore.betterCoreType(flags: avx2, current: "Zen"))
        XCTAssertNil(OpenBLASCore.betterCoreType(flags: ["sse3"], current: "Prescott"))
    }

    func testTheRunningKernelsAreNamed() { XCTAssertFalse(OpenBLASCore.current.isEmpty) }
}

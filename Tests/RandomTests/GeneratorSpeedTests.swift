// A coarse speed guard: one SDXL-sized latent draw (1×4×128×128) takes a few milliseconds; the bound is
// 30× that, so it only trips on an algorithmic regression (per-element allocation, quadratic loops).

import Foundation
import Random
import XCTest

final class GeneratorSpeedTests: XCTestCase {
    private func secondsPerDraw(_ generator: RandomGenerator) -> Double {
        _ = generator.randn([1, 4, 128, 128])
        let start = Date()
        for _ in 0..<5 { _ = generator.randn([1, 4, 128, 128]) }
        return Date().timeIntervalSince(start) / 5
    }

    /// CPU generator, both kernels: under 0.1 s per 1×4×128×128 draw (measured about 3 ms).
    func testCPULatentDrawIsFast() {
        for kernel in TorchCPUNormalKernel.allCases {
            let seconds = secondsPerDraw(TorchCPUGenerator(seed: 1, normalKernel: kernel))
            XCTAssertLessThan(seconds, 0.1, "\(kernel) kernel: \(seconds) s per 1×4×128×128 draw")
        }
    }

    /// CUDA generator: under 0.2 s per 1×4×128×128 draw (measured about 6 ms).
    func testCUDALatentDrawIsFast() {
        let seconds = secondsPerDraw(TorchCUDAGenerator(seed: 1))
        XCTAssertLessThan(seconds, 0.2, "\(seconds) s per 1×4×128×128 draw")
    }
}

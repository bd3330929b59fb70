// TorchCPUGenerator against torch 2.15's CPU generator: pinned first values, and every fixture case of
// gen_random.py (single calls over seeds and shapes, and successive calls on one generator), bit for bit.

import Random
import Tensors
import XCTest

final class TorchCPUGeneratorTests: XCTestCase {
    private func assertValues(_ actual: Tensor, _ expected: [Float], _ label: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        assertBitIdentical(actual, .whole(expected), label, file: file, line: line)
    }

    /// torch.randn(8) after manual_seed(0): the scalar (double Box–Muller) path. Tolerance 0 ulp.
    func testEightValuesFromSeedZeroMatchTorch() {
        let values = TorchCPUGenerator(seed: 0).randn([8])
        assertValues(values, [1.5409961, -0.2934289, -2.1787894, 0.56843126, -1.0845224, -1.3985955, 0.40334684,
                              0.83802634], "randn(8), seed 0")
    }

    /// torch.randn(16)[:4] after manual_seed(0): the 16-wide fill. Tolerance 0 ulp.
    func testSixteenValuesFromSeedZeroStartAsTorch() {
        let values = TorchCPUGenerator(seed: 0).randn([16]).scalars
        assertValues(Tensor(shape: [4], values: Array(values.prefix(4))),
                     [-1.1258398, -1.1523602, -0.25057858, -0.4338788], "randn(16)[:4], seed 0")
    }

    /// torch.randn(1, 4, 64, 64) after manual_seed(0) ends with these two values. Tolerance 0 ulp.
    func testLatentShapedDrawFromSeedZeroEndsAsTorch() {
        let values = TorchCPUGenerator(seed: 0).randn([1, 4, 64, 64])
        XCTAssertEqual(values.shape, [1, 4, 64, 64])
        assertValues(Tensor(shape: [2], values: Array(values.scalars.suffix(2))), [-1.3664697, -1.0782080],
                     "randn(1,4,64,64)[-2:], seed 0")
    }

    /// Every AVX2-kernel fixture case (5 seeds × 10 shapes, 4 call sequences) is bit-identical to torch.
    func testEveryAVX2FixtureCaseIsBitIdentical() throws {
        let cases = try RandomCase.load("cpu_avx2")
        XCTAssertGreaterThanOrEqual(cases.count, 54, "fixture cases")
        for testCase in cases {
            let generator = TorchCPUGenerator(seed: testCase.seed, normalKernel: .avx2)
            for (index, shape) in testCase.calls.enumerated() {
                let values = generator.randn(shape)
                XCTAssertEqual(values.shape, shape)
                assertBitIdentical(values, try testCase.reference(call: index), "\(testCase.name) call \(index)")
            }
        }
    }

    /// The portable-kernel fixture (torch with ATEN_CPU_CAPABILITY=default) is bit-identical too.
    func testEveryScalarKernelFixtureCaseIsBitIdentical() throws {
        let cases = try RandomCase.load("cpu_default")
        XCTAssertGreaterThanOrEqual(cases.count, 10, "fixture cases")
        for testCase in cases {
            let generator = TorchCPUGenerator(seed: testCase.seed, normalKernel: .scalar)
            for (index, shape) in testCase.calls.enumerated() {
                assertBitIdentical(generator.randn(shape), try testCase.reference(call: index),
                                   "\(testCase.name) call \(index)")
            }
        }
    }

    /// The two kernels round differently (so choosing the wrong one is visible), but only by rounding:
    /// at most 1e-5 absolute on 1024 values.
    func testAVX2AndScalarKernelsDifferOnlyByRounding() {
        let avx2 = TorchCPUGenerator(seed: 0, normalKernel: .avx2).randn([1024]).scalars
        let scalar = TorchCPUGenerator(seed: 0, normalKernel: .scalar).randn([1024]).scalars
        let differing = zip(avx2, scalar).filter { $0.0 != $0.1 }.count
        let worst = zip(avx2, scalar).map { abs($0.0 - $0.1) }.max() ?? 0
        XCTAssertGreaterThan(differing, 0, "kernels agree on all 1024 values")
        XCTAssertLessThanOrEqual(worst, 1e-5, "kernels differ by \(worst), more than rounding")
    }

    /// The cached second Box–Muller value survives a 16-wide fill in between (torch keeps it in the
    /// generator): randn(3), randn(16), randn(1) equals the 4th value of a plain randn(3) + randn(1) stream.
    func testCachedScalarValueSurvivesAFillInBetween() {
        let interleaved = TorchCPUGenerator(seed: 7)
        _ = interleaved.randn([3])
        _ = interleaved.randn([16])
        let afterFill = interleaved.randn([1]).scalars[0]
        let plain = TorchCPUGenerator(seed: 7)
        let first = plain.randn([4]).scalars
        XCTAssertEqual(afterFill.bitPattern, first[3].bitPattern, "cached value after fill: \(afterFill) vs \(first[3])")
    }

    /// An empty shape draws nothing: the next draw equals a fresh generator's first draw.
    func testEmptyDrawLeavesTheStreamUntouched() {
        let generator = TorchCPUGenerator(seed: 3)
        XCTAssertEqual(generator.randn([0, 4]).count, 0)
        XCTAssertEqual(generator.randn([20]).scalars, TorchCPUGenerator(seed: 3).randn([20]).scalars)
    }
}

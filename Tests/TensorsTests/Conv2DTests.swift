import Tensors
import TestSupport
import XCTest

/// Conv2d against `F.conv2d` (with `F.pad` for asymmetric padding), by im2col and by Winograd: max|Δ|/max|ref| ≤ 1e-5.
final class Conv2DTests: XCTestCase {
    func testConv2DMatchesTorchForEveryFixtureCase() throws {
        let cases = try KernelCase.load("conv2d")
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let padding = Padding2D(top: c.int("top"), bottom: c.int("bottom"), left: c.int("left"), right: c.int("right"))
            let output = c["input"].conv2d(weight: LayerWeight(c["weight"]), bias: c.optional("bias"), stride: c.int("stride"),
                                           padding: padding)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, c.name)
        }
    }

    func testWinogradMatchesTorchForEveryThreeByThreeStrideOneCase() throws {
        var checked = 0
        for c in try KernelCase.load("conv2d") where c["weight"].shape[2...] == [3, 3] && c.int("stride") == 1 {
            let padding = Padding2D(top: c.int("top"), bottom: c.int("bottom"), left: c.int("left"), right: c.int("right"))
            for algorithm in [ConvolutionAlgorithm.winogradF2, .winogradF4] {
                let output = c["input"].conv2d(weight: LayerWeight(c["weight"]), bias: c.optional("bias"), stride: 1,
                                               padding: padding, algorithm: algorithm)
                XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, "\(c.name) \(algorithm)")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 2, "the fixture's 3×3 stride-1 cases (odd 9×11 and 40-channel 16×16)")
    }

    func testWinogradEqualsIm2colAcrossBandsAndVectorTails() {
        // 72×70 output: 35 (F2) or 18 (F4) tiles per row, so SIMD16 chunks with partial tails, and enough tile
        // rows for several bands; batch 2 and no bias. Both ours: max|Δ|/max|im2col| ≤ 1e-5.
        let input = Tensor.pattern([2, 64, 72, 70], seed: 1)
        let weight = LayerWeight(Tensor.pattern([48, 64, 3, 3], seed: 2) * (1 / 24))
        let im2col = input.conv2d(weight: weight, stride: 1, padding: .uniform(1), algorithm: .im2col)
        for algorithm in [ConvolutionAlgorithm.winogradF2, .winogradF4] {
            let winograd = input.conv2d(weight: weight, stride: 1, padding: .uniform(1), algorithm: algorithm)
            XCTAssertClose(winograd, im2col, relativeTolerance: 1e-5, "\(algorithm) vs im2col")
        }
    }

    func testWinogradWithKernelCountsOffTheVectorWidth() {
        // 19 × 17 = 323 kernels: the weight transform takes them 16 at a time and ends on a partial vector.
        let input = Tensor.pattern([1, 17, 12, 12], seed: 31)
        let weight = LayerWeight(Tensor.pattern([19, 17, 3, 3], seed: 32) * (1 / 12)), bias = Tensor.pattern([19], seed: 33)
        let im2col = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1), algorithm: .im2col)
        for algorithm in [ConvolutionAlgorithm.winogradF2, .winogradF4] {
            let winograd = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1), algorithm: algorithm)
            XCTAssertClose(winograd, im2col, relativeTolerance: 1e-5, "\(algorithm) vs im2col")
        }
    }

    func testAutomaticAlgorithmPicksWinogradOnlyForLargeThreeByThreeStrideOne() {
        let input = Tensor.pattern([1, 16, 32, 32], seed: 3)
        let weight = LayerWeight(Tensor.pattern([16, 16, 3, 3], seed: 4))
        let automatic = input.conv2d(weight: weight, stride: 1, padding: .uniform(1))
        XCTAssertEqual(automatic.scalars, input.conv2d(weight: weight, stride: 1, padding: .uniform(1), algorithm: .winogradF2).scalars)
        let large = Tensor.pattern([1, 16, 64, 64], seed: 5)
        XCTAssertEqual(large.conv2d(weight: weight, stride: 1, padding: .uniform(1)).scalars,
                       large.conv2d(weight: weight, stride: 1, padding: .uniform(1), algorithm: .winogradF4).scalars)
        let strided = input.conv2d(weight: weight, stride: 2, padding: .uniform(1))
        XCTAssertEqual(strided.scalars, input.conv2d(weight: weight, stride: 2, padding: .uniform(1), algorithm: .im2col).scalars)
    }

    func testDirectConvolutionMatchesTorchForEveryStrideOneCase() throws {
        var checked = 0
        for c in try KernelCase.load("conv2d") where c.int("stride") == 1 {
            let padding = Padding2D(top: c.int("top"), bottom: c.int("bottom"), left: c.int("left"), right: c.int("right"))
            let output = c["input"].conv2d(weight: LayerWeight(c["weight"]), bias: c.optional("bias"), stride: 1,
                                           padding: padding, algorithm: .direct)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-5, "\(c.name) direct")
            checked += 1
        }
        XCTAssertEqual(checked, 5, "3×3, 1×1 (with and without bias), 5×5 and the wide 3×3 case")
    }

    func testDirectConvolutionEqualsIm2colAtTheNetworksEnds() {
        // The shapes `.automatic` sends to direct summation: 3 → 16 (an image in) and 24 → 3 (an image out),
        // 70 wide (two 32-pixel blocks and a tail, both edges padded). Both ours: max|Δ|/max|im2col| ≤ 1e-5.
        for (inChannels, outChannels) in [(3, 16), (24, 3)] {
            let input = Tensor.pattern([2, inChannels, 9, 70], seed: 12)
            let weight = LayerWeight(Tensor.pattern([outChannels, inChannels, 3, 3], seed: 13))
            let bias = Tensor.pattern([outChannels], seed: 14)
            let direct = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1))
            let im2col = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1), algorithm: .im2col)
            XCTAssertClose(direct, im2col, relativeTolerance: 1e-5, "\(inChannels) → \(outChannels)")
        }
    }

    func testResidualIsAddedAsTheOutputIsWritten() {
        // conv(x) + bias + r in one pass equals the conv followed by an add: bitwise for Winograd (the same
        // two roundings), within 1e-6 relative for im2col / 1×1 (which start from r + bias and accumulate).
        let input = Tensor.pattern([2, 16, 34, 36], seed: 6)
        let weight = LayerWeight(Tensor.pattern([20, 16, 3, 3], seed: 7) * (1 / 12)), bias = Tensor.pattern([20], seed: 8)
        let residual = Tensor.pattern([2, 20, 34, 36], seed: 9)
        for algorithm in [ConvolutionAlgorithm.winogradF2, .winogradF4, .im2col, .direct] {
            let separate = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1), algorithm: algorithm)
                + residual
            let fused = input.conv2d(weight: weight, bias: bias, stride: 1, padding: .uniform(1),
                                     fusing: Conv2DFusion(adding: residual), algorithm: algorithm)
            if algorithm == .im2col || algorithm == .direct {
                XCTAssertClose(fused, separate, relativeTolerance: 1e-6, "\(algorithm)")
            } else {
                XCTAssertEqual(fused.scalars, separate.scalars, "\(algorithm)")
            }
        }
        let pointwise = LayerWeight(Tensor.pattern([20, 16, 1, 1], seed: 10))
        let residual1x1 = Tensor.pattern([2, 20, 34, 36], seed: 11)
        XCTAssertClose(input.conv2d(weight: pointwise, bias: bias, fusing: Conv2DFusion(adding: residual1x1)),
                       input.conv2d(weight: pointwise, bias: bias) + residual1x1,
                       relativeTolerance: 1e-6, "1×1")
    }

    func testNormalizationAppliedWhileReadingEqualsNormalizingFirst() {
        // GroupNorm + SiLU folded into the conv: the kernels see exactly the values the materialised
        // normalisation holds (the same per-element operations), so every algorithm agrees bit for bit.
        let input = Tensor.pattern([2, 16, 34, 36], seed: 15) * 3 + 1
        let normalization = input.groupNormalization(groups: 4, weight: Tensor.pattern([16], seed: 16),
                                                     bias: Tensor.pattern([16], seed: 17), epsilon: 1e-6, activation: .silu)
        let normalized = input.normalized(by: normalization)
        XCTAssertEqual(normalized.scalars, input.groupNorm(groups: 4, weight: Tensor.pattern([16], seed: 16),
                                                           bias: Tensor.pattern([16], seed: 17), epsilon: 1e-6,
                                                           activation: .silu).scalars)
        for outChannels in [20, 3] {
            let weight = LayerWeight(Tensor.pattern([outChannels, 16, 3, 3], seed: 18) * (1 / 12))
            for algorithm in [ConvolutionAlgorithm.winogradF2, .winogradF4, .direct, .im2col] {
                let fused = input.conv2d(weight: weight, stride: 1, padding: .uniform(1),
                                         fusing: .normalizing(normalization), algorithm: algorithm)
                let separate = normalized.conv2d(weight: weight, stride: 1, padding: .uniform(1), algorithm: algorithm)
                XCTAssertEqual(fused.scalars, separate.scalars, "\(algorithm) → \(outChannels)")
            }
        }
    }

    func testConvOfUpsampledInputEqualsConvOfTheUpsampledTensor() {
        // Winograd reads the stored rows upsampled; the same values must come out as from the materialised
        // upsample (bit for bit): F(2×2) at 34×46 (odd stored sizes, partial vector tails), F(4×4) at 140×130,
        // batch 2, and an im2col-sized case (16×16 output), which materialises the upsample.
        for (shape, outChannels) in [([2, 16, 17, 23], 20), ([2, 16, 70, 65], 24), ([1, 16, 8, 8], 16)] {
            let input = Tensor.pattern(shape, seed: 11)
            let weight = LayerWeight(Tensor.pattern([outChannels, 16, 3, 3], seed: 12) * (1 / 12))
            let bias = Tensor.pattern([outChannels], seed: 13)
            let fused = input.conv2d(weight: weight, bias: bias, padding: 1, fusing: .upsamplingNearest2x)
            let materialised = input.upsampledNearest2x().conv2d(weight: weight, bias: bias, padding: .uniform(1))
            XCTAssertEqual(fused.shape, [shape[0], outChannels, 2 * shape[2], 2 * shape[3]])
            XCTAssertEqual(fused.scalars, materialised.scalars, "\(shape)")
        }
    }

    func testKeptWinogradScratchGivesTheSameResultAsAFreshOne() {
        // The transformed weights go to scratch kept between calls: a smaller conv after a larger one reuses
        // (dirty) memory and must match the same conv on fresh scratch, bit for bit.
        let small = Tensor.pattern([1, 16, 32, 32], seed: 21)
        let smallWeight = LayerWeight(Tensor.pattern([16, 16, 3, 3], seed: 22))
        KeptScratch.releaseAll()
        let fresh = small.conv2d(weight: smallWeight, stride: 1, padding: .uniform(1), algorithm: .winogradF4)
        let large = Tensor.pattern([1, 48, 32, 32], seed: 23)
        let largeWeight = LayerWeight(Tensor.pattern([40, 48, 3, 3], seed: 24))
        _ = large.conv2d(weight: largeWeight, stride: 1, padding: .uniform(1), algorithm: .winogradF4)
        let reused = small.conv2d(weight: smallWeight, stride: 1, padding: .uniform(1), algorithm: .winogradF4)
        XCTAssertEqual(reused.scalars, fresh.scalars)
        KeptScratch.releaseAll()
    }

    func testIntegerPaddingPadsEverySide() {
        let input = Tensor(shape: [1, 2, 4, 4], values: (0..<32).map { Float($0) / 7 })
        let weight = LayerWeight(Tensor(shape: [3, 2, 3, 3], values: (0..<54).map { Float($0 % 5) - 2 }))
        let a = input.conv2d(weight: weight, stride: 1, padding: 1)
        let b = input.conv2d(weight: weight, stride: 1, padding: .uniform(1))
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertEqual(a.shape, [1, 3, 4, 4])
    }
}

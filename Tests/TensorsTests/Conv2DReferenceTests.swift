import Tensors
import TestSupport
import XCTest

/// Every conv2d algorithm and fusion against `Reference.conv2d` (plain loops, Double sums) on shapes the torch
/// fixtures lack, and the reference itself against the fixtures. Errors are max|Δ|/max|ref|.
final class Conv2DReferenceTests: XCTestCase {
    /// The bound each algorithm meets against the reference (stated in Conv2D.swift's header): 2e-6, and 1e-5
    /// for Winograd F(4×4) (measured up to 3.2e-6 here; 6e-7 for the others), which `.automatic` may pick.
    static func tolerance(_ algorithm: ConvolutionAlgorithm) -> Float {
        algorithm == .winogradF4 || algorithm == .automatic ? 1e-5 : 2e-6
    }

    func testReferenceMatchesTorchForEveryFixtureCase() throws {
        for c in try KernelCase.load("conv2d") {
            let padding = Padding2D(top: c.int("top"), bottom: c.int("bottom"), left: c.int("left"), right: c.int("right"))
            let output = Reference.conv2d(c["input"], weight: LayerWeight(c["weight"]), bias: c.optional("bias"),
                                          stride: c.int("stride"), padding: padding)
            XCTAssertClose(output, c["output"], relativeTolerance: 1e-6, c.name)
        }
    }

    /// One convolution: input shape, weight shape, stride, padding.
    struct Case {
        let input: [Int], weight: [Int], stride: Int, padding: Padding2D

        /// The algorithms that compute this shape their own way (others fall back to one of these).
        var algorithms: [ConvolutionAlgorithm] {
            var result: [ConvolutionAlgorithm] = [.automatic, .im2col]
            if stride == 1 { result.append(.direct) }
            if stride == 1 && weight[2...] == [3, 3] { result += [.winogradF2, .winogradF4] }
            return result
        }
    }

    func testEveryAlgorithmMatchesTheReferenceOnShapesTheFixturesLack() {
        let cases = [
            Case(input: [2, 13, 7, 5], weight: [7, 13, 1, 1], stride: 1, padding: 0),              // 1×1: one GEMM
            Case(input: [1, 6, 9, 8], weight: [10, 6, 1, 1], stride: 2, padding: 0),               // 1×1 strided
            Case(input: [1, 5, 13, 11], weight: [12, 5, 3, 3], stride: 2, padding: 1),              // odd, stride 2
            Case(input: [1, 12, 10, 10], weight: [12, 12, 3, 3], stride: 2,
                 padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1)),                         // VAE downsample
            Case(input: [1, 3, 11, 37], weight: [6, 3, 5, 5], stride: 1, padding: 2),              // 5×5, direct
            Case(input: [1, 17, 19, 23], weight: [19, 17, 3, 3], stride: 1, padding: 1),            // odd 3×3
            Case(input: [1, 9, 7, 9], weight: [11, 9, 3, 3], stride: 1, padding: 0),                // no padding
            Case(input: [1, 16, 32, 33], weight: [16, 16, 3, 3], stride: 1, padding: 1),            // automatic F(2×2)
            Case(input: [1, 16, 64, 65], weight: [18, 16, 3, 3], stride: 1, padding: 1),            // automatic F(4×4)
            Case(input: [2, 4, 6, 40], weight: [5, 4, 1, 3], stride: 1,
                 padding: Padding2D(top: 0, bottom: 0, left: 1, right: 1)),                         // 1×3 kernel
        ]
        for (index, c) in cases.enumerated() {
            check(c, seed: UInt64(10 * index))
        }
    }

    func testSeededRandomShapesMatchTheReference() {
        var draw = ShapeDraws(seed: 2024)
        for index in 0..<12 {
            let kernel = [1, 3, 3, 5][draw.next(0...3)]
            let padding = Padding2D(top: draw.next(0...2), bottom: draw.next(0...2), left: draw.next(0...2),
                                    right: draw.next(0...2))
            let height = max(kernel, draw.next(1...21)), width = max(kernel, draw.next(1...21))
            let (batch, inChannels, outChannels) = (draw.next(1...2), draw.next(1...20), draw.next(1...20))
            check(Case(input: [batch, inChannels, height, width], weight: [outChannels, inChannels, kernel, kernel],
                       stride: draw.next(1...2), padding: padding), seed: UInt64(100 + 10 * index))
        }
    }

    func testFusedInputMapsAndResidualMatchTheReference() {
        // GroupNorm + SiLU read into the conv, the residual written by it, the input read upsampled ×2 — at 17×16
        // (upsampled 34×32: `.automatic` reads it upsampled by Winograd F(2×2)) into 20 channels, and at 32×33
        // into 3 (direct summation).
        for (inputShape, outChannels) in [([2, 16, 17, 16], 20), ([1, 16, 32, 33], 3)] {
            let input = Tensor.pattern(inputShape, seed: 1) * 2 + 0.5
            let normalization = input.groupNormalization(groups: 4, weight: Tensor.pattern([16], seed: 2),
                                                         bias: Tensor.pattern([16], seed: 3), epsilon: 1e-6,
                                                         activation: .silu)
            let weight = LayerWeight(Tensor.pattern([outChannels, 16, 3, 3], seed: 4) * (1 / 12))
            let bias = Tensor.pattern([outChannels], seed: 5)
            let sameSize = Tensor.pattern([inputShape[0], outChannels, inputShape[2], inputShape[3]], seed: 6)
            let doubled = Tensor.pattern([inputShape[0], outChannels, 2 * inputShape[2], 2 * inputShape[3]], seed: 7)
            let fusions: [(String, Conv2DFusion)] = [
                ("norm", .normalizing(normalization)), ("residual", Conv2DFusion(adding: sameSize)),
                ("norm + residual", .normalizing(normalization, adding: sameSize)),
                ("upsample", .upsamplingNearest2x),
                ("upsample + residual", Conv2DFusion(input: .upsampledNearest2x, adding: doubled)),
            ]
            for (name, fusion) in fusions {
                let expected = Reference.conv2d(input, weight: weight, bias: bias, padding: 1, fusing: fusion)
                for algorithm in [ConvolutionAlgorithm.automatic, .im2col, .direct, .winogradF2, .winogradF4] {
                    let output = input.conv2d(weight: weight, bias: bias, padding: 1, fusing: fusion, algorithm: algorithm)
                    XCTAssertClose(output, expected, relativeTolerance: Self.tolerance(algorithm),
                                   "\(inputShape) → \(outChannels), \(name), \(algorithm)")
                }
            }
        }
    }

    func testDirectConvolutionOnRowsTooWideForFullBands() {
        // 16 channels × ~13,300 columns: a band of 8 output rows would pass the direct kernel's 8 MB band budget,
        // so bands shrink to 7 rows (as at the VAE's 2048² conv_out, 128 channels × 2050); with the fused
        // group norm + SiLU and a residual, over three bands (7, 7, 6 rows).
        let input = Tensor.pattern([1, 16, 20, 13_300], seed: 9)
        let normalization = input.groupNormalization(groups: 4, weight: Tensor.pattern([16], seed: 10),
                                                     bias: Tensor.pattern([16], seed: 11), epsilon: 1e-6,
                                                     activation: .silu)
        let weight = LayerWeight(Tensor.pattern([3, 16, 3, 3], seed: 12) * (1 / 12))
        let bias = Tensor.pattern([3], seed: 13), residual = Tensor.pattern([1, 3, 20, 13_300], seed: 14)
        let fusion = Conv2DFusion.normalizing(normalization, adding: residual)
        let expected = Reference.conv2d(input, weight: weight, bias: bias, padding: 1, fusing: fusion)
        let output = input.conv2d(weight: weight, bias: bias, padding: 1, fusing: fusion, algorithm: .direct)
        XCTAssertClose(output, expected, relativeTolerance: Self.tolerance(.direct))
    }

    func testReferenceReadsTheInputMapsAsTheirOwnKernelsWrite() {
        // The oracle's upsampling and normalisation (index arithmetic, Double) against the tensors the fast
        // kernels write, through a 1×1 identity conv: the maps themselves agree within a Float rounding.
        let input = Tensor.pattern([2, 4, 5, 3], seed: 8) * 3
        let identity = LayerWeight(Tensor(shape: [4, 4, 1, 1], values: (0..<16).map { $0 % 5 == 0 ? 1 : 0 }))
        let normalization = input.groupNormalization(groups: 2, weight: nil, bias: nil, epsilon: 1e-5, activation: .silu)
        for map in [Conv2DFusion.Input.upsampledNearest2x, .normalized(normalization)] {
            XCTAssertClose(Reference.conv2d(input, weight: identity, fusing: Conv2DFusion(input: map)),
                           map.applied(to: input), relativeTolerance: 1e-6, "\(map)")
        }
    }

    /// Every algorithm for `c` against the reference, with a bias.
    private func check(_ c: Case, seed: UInt64) {
        let input = Tensor.pattern(c.input, seed: seed)
        let fanIn = Float(c.weight[1...].reduce(1, *))
        let weight = LayerWeight(Tensor.pattern(c.weight, seed: seed + 1) * (1 / fanIn.squareRoot()))
        let bias = Tensor.pattern([c.weight[0]], seed: seed + 2)
        let expected = Reference.conv2d(input, weight: weight, bias: bias, stride: c.stride, padding: c.padding)
        for algorithm in c.algorithms {
            let output = input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, algorithm: algorithm)
            XCTAssertClose(output, expected, relativeTolerance: Self.tolerance(algorithm),
                           "\(c.input) ∗ \(c.weight), stride \(c.stride), \(c.padding), \(algorithm)")
        }
    }
}

import Tensors
import TestSupport
import XCTest

/// Half-precision layer weights (widened block by block where the kernels read them) against the same values
/// held as Float32: widening is exact and the per-element arithmetic is the same, so the outputs agree to
/// max|Δ|/max|ref| ≤ 1e-6. Measured: 0 (bit-identical) where k is widened whole; where it is widened in slices,
/// and for the one-row product (OpenBLAS takes another path for the whole-matrix Float32 call), the sums are
/// grouped differently: see IMG2IMG_REPORT_ERRORS=1.
final class LayerWeightTests: XCTestCase {
    /// A seeded tensor of values that are exactly representable in IEEE half.
    func halfValues(_ shape: [Int], seed: UInt64) -> (float: Tensor, half: LayerWeight) {
        var state = seed
        let count = shape.reduce(1, *)
        let bits: [UInt16] = (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float16(Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)).bitPattern
        }
        let float = Tensor(shape: shape, values: bits.map { Float(Float16(bitPattern: $0)) })
        let half = bits.withUnsafeBytes { LayerWeight(half: HalfValues(copying: $0), shape: shape) }
        return (float, half)
    }

    func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor { halfValues(shape, seed: seed).float }

    func testHalfWeightWidensExactly() {
        let (float, half) = halfValues([37, 11], seed: 1)
        XCTAssertTrue(half.isHalf)
        XCTAssertEqual(half.floatTensor.scalars, float.scalars)
        var row = [Float](repeating: .nan, count: 11)
        row.withUnsafeMutableBufferPointer { half.copyRow(20, into: $0.baseAddress!) }
        XCTAssertEqual(row, Array(float.scalars[220..<231]))
    }

    func testLinearWithHalfWeightMatchesFloatWeight() {
        // One row of input (the time embedding), tokens × features split over the workers, a row count that is
        // no multiple of 16, and a weight widened in several k slices (4096 inputs) accumulated onto the output.
        for (rows, inFeatures, outFeatures) in [(1, 320, 1280), (300, 64, 48), (77, 2000, 200), (1024, 320, 330),
                                                (8, 4096, 1100)] {
            let (float, half) = halfValues([outFeatures, inFeatures], seed: UInt64(inFeatures))
            let x = randomTensor([rows, inFeatures], seed: 7), bias = randomTensor([outFeatures], seed: 8)
            let expected = x.linear(weight: float, bias: bias)
            XCTAssertClose(x.linear(weight: half, bias: bias), expected, relativeTolerance: 1e-6,
                           "linear \(rows)×\(inFeatures) → \(outFeatures)")
        }
    }

    func testConvolutionWithHalfWeightMatchesFloatWeightForEveryAlgorithm() {
        let x = randomTensor([2, 24, 36, 34], seed: 3), residual = randomTensor([2, 40, 36, 34], seed: 4)
        let bias = randomTensor([40], seed: 5)
        let normalization = x.groupNormalization(groups: 4, weight: nil, bias: nil, epsilon: 1e-5, activation: .silu)
        for (kernel, algorithms) in [(3, [ConvolutionAlgorithm.im2col, .winogradF2, .winogradF4, .direct]),
                                     (1, [ConvolutionAlgorithm.automatic])] {
            let (float, half) = halfValues([40, 24, kernel, kernel], seed: UInt64(kernel))
            let padding = Padding2D.uniform(kernel / 2)
            for algorithm in algorithms {
                let fusion = Conv2DFusion.normalizing(normalization, adding: residual)
                let expected = x.conv2d(weight: LayerWeight(float), bias: bias, padding: padding, fusing: fusion,
                                        algorithm: algorithm)
                let actual = x.conv2d(weight: half, bias: bias, padding: padding, fusing: fusion, algorithm: algorithm)
                XCTAssertClose(actual, expected, relativeTolerance: 1e-6, "\(kernel)×\(kernel) \(algorithm)")
            }
        }
    }

    func testWideConvolutionWithHalfWeightInSeveralSlicesMatchesFloatWeight() {
        // 320 × 3 × 3 = 2880 values a row, 600 rows: each worker's tile holds under a third of a row's k.
        let x = randomTensor([1, 320, 8, 8], seed: 11), bias = randomTensor([600], seed: 12)
        let (float, half) = halfValues([600, 320, 3, 3], seed: 13)
        XCTAssertClose(x.conv2d(weight: half, bias: bias, padding: .uniform(1), algorithm: .im2col),
                       x.conv2d(weight: LayerWeight(float), bias: bias, padding: .uniform(1), algorithm: .im2col),
                       relativeTolerance: 1e-6, "k in slices")
    }

    func testIm2colWithMoreChannelsThanOnePanelHoldsMatchesWinograd() {
        // 1000 channels × 9 taps × 256 pixels exceed one im2col panel: the product runs block of channels by
        // block, accumulating onto the output — with the weight widened whole (128 × 1000 × 9 > 2²⁰ values is
        // tiled; 16 rows are not) and as half tiles, with no bias (the first block overwrites the output) and
        // with one. Against Winograd F(2×2) on the Float32 weight (another algorithm): max|Δ|/max|ref| ≤ 1e-5;
        // half against Float32 im2col ≤ 1e-6.
        let x = randomTensor([1, 1000, 16, 16], seed: 14)
        for outChannels in [16, 128] {
            let (float, half) = halfValues([outChannels, 1000, 3, 3], seed: UInt64(outChannels))
            let bias = outChannels == 16 ? nil : randomTensor([outChannels], seed: 15)
            let reference = x.conv2d(weight: LayerWeight(float), bias: bias, padding: .uniform(1), algorithm: .winogradF2)
            let im2col = x.conv2d(weight: LayerWeight(float), bias: bias, padding: .uniform(1), algorithm: .im2col)
            XCTAssertClose(im2col, reference, relativeTolerance: 1e-5, "\(outChannels) Float32 im2col vs Winograd")
            XCTAssertClose(x.conv2d(weight: half, bias: bias, padding: .uniform(1), algorithm: .im2col), im2col,
                           relativeTolerance: 1e-6, "\(outChannels) half vs Float32 im2col")
        }
    }

    func testStridedConvolutionWithHalfWeightMatchesFloatWeight() {
        let x = randomTensor([1, 16, 17, 18], seed: 9)
        let (float, half) = halfValues([8, 16, 3, 3], seed: 10)
        let padding = Padding2D(top: 0, bottom: 1, left: 0, right: 1)
        XCTAssertClose(x.conv2d(weight: half, stride: 2, padding: padding),
                       x.conv2d(weight: LayerWeight(float), stride: 2, padding: padding), relativeTolerance: 1e-6, "stride 2")
    }
}

// Dynamic thresholding against diffusers' `_threshold_sample` (torch.quantile with linear interpolation), on a
// batch whose items have a threshold of 1.835 (interpolated) and one clamped to 1 (tolerance 1e-6 relative),
// and torch.quantile's NaN rule (values from diffusers' `_threshold_sample`, exact).

import Schedulers
import Tensors
import TestSupport
import XCTest

final class DynamicThresholdingTests: XCTestCase {
    func testMatchesDiffusersThresholdSample() throws {
        let tensors = try Fixtures.tensors("schedulers_a/thresholding.safetensors")
        let input = try XCTUnwrap(tensors["input"]), expected = try XCTUnwrap(tensors["output"])
        let thresholded = DynamicThresholding(ratio: 0.9, sampleMaxValue: 2.0).apply(input)
        XCTAssertClose(thresholded, expected, relativeTolerance: 1e-6, "_threshold_sample")
    }

    func testThresholdOfOneIsPlainClipping() {
        let sample = Tensor(shape: [1, 4], values: [-3, -0.5, 0.25, 2])
        let thresholded = DynamicThresholding(ratio: 0.5, sampleMaxValue: 1).apply(sample)
        XCTAssertEqual(thresholded.scalars, [-1, -0.5, 0.25, 1])
    }

    func testNaNMakesOnlyItsOwnItemNaNLikeTorchQuantile() {
        let nan = Float.nan
        let sample = Tensor(shape: [2, 1, 2, 2], values: [nan, 3, -1.5, 0.5, 3, -4, 1.5, 0.5])
        let thresholded = DynamicThresholding(ratio: 0.5, sampleMaxValue: 2).apply(sample).scalars
        XCTAssertTrue(thresholded[0..<4].allSatisfy(\.isNaN), "item with a NaN: \(thresholded[0..<4])")
        XCTAssertEqual(Array(thresholded[4...]), [1, -1, 0.75, 0.25], "item without NaN (threshold 2)")
    }
}

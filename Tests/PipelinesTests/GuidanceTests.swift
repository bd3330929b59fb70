import Pipelines
import Tensors
import TestSupport
import XCTest

/// Guidance as a value: when each kind applies (compared as Python floats), its batch order and its combination.
final class GuidanceTests: XCTestCase {
    func rows(_ values: [Float]...) -> Tensor {
        Tensor(shape: [values.count, values[0].count], values: values.flatMap { $0 })
    }

    func testKindsApplyAsDiffusersDecides() {
        XCTAssertEqual(Guidance.classifierFree(1.0), .none)
        XCTAssertEqual(Guidance.classifierFree(1.0000000001), .classifierFree(scale: 1),
                       "guidance_scale > 1 is decided on the Python float, before it rounds to Float")
        XCTAssertEqual(Guidance.classifierFree(.nan), .none)
        XCTAssertEqual(Guidance.instructPix2Pix(text: 7.5, image: 1.0), .instructPix2Pix(text: 7.5, image: 1))
        XCTAssertEqual(Guidance.instructPix2Pix(text: 7.5, image: 0.99), .none)
        XCTAssertEqual(Guidance.instructPix2Pix(text: 1, image: 1.5), .none)
    }

    func testClassifierFreeBatchesNegativeFirstAndCombines() {
        let guidance = Guidance.classifierFree(scale: 3)
        let prompt = rows([1, 2]), negative = rows([5, 6])
        XCTAssertEqual(guidance.batchPrompt(prompt) { negative }.scalars, [5, 6, 1, 2])
        XCTAssertEqual(guidance.expand(prompt).shape, [2, 2])
        // uncond + 3 · (text − uncond)
        XCTAssertEqual(guidance.combine(rows([1, 1], [2, 4])).scalars, [4, 10])
    }

    func testInstructPix2PixBatchesTextImageUncondAndCombines() {
        let guidance = Guidance.instructPix2Pix(text: 2, image: 1.5)
        XCTAssertEqual(guidance.batchPrompt(rows([1])) { rows([9]) }.scalars, [1, 9, 9])
        XCTAssertEqual(guidance.batchImageLatents(rows([4, 5])).scalars, [4, 5, 4, 5, 0, 0])
        // uncond + 2 · (text − image) + 1.5 · (image − uncond), rows [text, image, uncond]
        XCTAssertEqual(guidance.combine(rows([3], [2], [1])).scalars, [1 + 2 * 1 + 1.5 * 1])
    }

    func testNoGuidanceIsTheIdentity() {
        var asked = false
        let prompt = rows([1, 2])
        XCTAssertEqual(Guidance.none.batchPrompt(prompt) { asked = true; return prompt }.scalars, [1, 2])
        XCTAssertFalse(asked, "the negative prompt is not encoded without guidance")
        XCTAssertEqual(Guidance.none.combine(prompt).scalars, [1, 2])
        XCTAssertEqual(Guidance.none.batchImageLatents(prompt).shape, [1, 2])
    }
}

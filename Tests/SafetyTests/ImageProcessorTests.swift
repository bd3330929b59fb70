import Foundation
import Images
import Models
import Safety
import Tensors
import TestSupport
import XCTest

/// The CLIP image processor against transformers' PIL backend (the runner's transformers 4.43.3 processor):
/// crops byte-exact (≥ 99 % identical bytes and none off by more than 1), pixel values ≤ 1e-5 absolute.
final class ImageProcessorTests: XCTestCase {
    let processor = CLIPImageProcessor()

    func testCropsMatchTransformersBytes() throws {
        let images = try SafetyFixture.images()
        var identical = 0, total = 0, worst = 0
        for (index, image) in images.enumerated() {
            let crop = try processor.resizedAndCropped(image), expected = try SafetyFixture.crop(index)
            XCTAssertEqual([crop.width, crop.height], [expected.width, expected.height], "image \(index)")
            guard crop.pixels.count == expected.pixels.count else { continue }
            for (a, b) in zip(crop.pixels, expected.pixels) {
                total += 1
                if a == b { identical += 1 } else { worst = max(worst, abs(Int(a) - Int(b))) }
            }
        }
        let fraction = Double(identical) / Double(max(total, 1))
        if ProcessInfo.processInfo.environment["IMG2IMG_REPORT_ERRORS"] != nil {
            print("parity crops: \(identical)/\(total) bytes identical (\(fraction)), worst difference \(worst)")
        }
        XCTAssertGreaterThanOrEqual(fraction, 0.99, "identical bytes \(identical)/\(total), worst difference \(worst)")
        XCTAssertLessThanOrEqual(worst, 1, "identical bytes \(identical)/\(total), worst difference \(worst)")
    }

    func testPixelValuesMatchTransformers() throws {
        let expected = try SafetyFixture.tensors()
        let values = try processor.pixelValues(try SafetyFixture.images())
        let sampled = maxAbsoluteDifference(subsampled(values, step: 16), expected["pixel_values_sub"]!)
        reportParity("pixel values (subsampled)", sampled, tolerance: 1e-5)
        XCTAssertLessThanOrEqual(sampled, 1e-5, "pixel_values[:, :, ::16, ::16] max |Δ| = \(sampled)")
        let last = values.slice(along: 0, from: values.shape[0] - 1, count: 1).slice(along: 2, from: 0, count: 2)
        let levels = maxAbsoluteDifference(last.reshaped([3, 2, 224]), expected["pixel_values_levels"]!)
        reportParity("pixel values (every level)", levels, tolerance: 1e-5)
        XCTAssertLessThanOrEqual(levels, 1e-5, "every 8-bit level, max |Δ| = \(levels)")
    }

    func testShortestEdgeResizeTruncatesLikeTransformers() {
        // int(224 · long / short): 224·777/333 = 522.67 → 522 (not 523); portrait keeps width 224.
        XCTAssertTrue(processor.resizedSize(width: 333, height: 777) == (224, 522))
        XCTAssertTrue(processor.resizedSize(width: 777, height: 333) == (522, 224))
        XCTAssertTrue(processor.resizedSize(width: 5, height: 300) == (224, 13440))
        XCTAssertTrue(processor.resizedSize(width: 225, height: 224) == (225, 224))
        XCTAssertTrue(processor.resizedSize(width: 1, height: 1) == (224, 224))
    }

    func testCentreCropPadsSmallImagesLikeTransformers() throws {
        var config = CLIPImageProcessorConfig()
        config.doResize = false
        config.cropWidth = 5
        config.cropHeight = 4
        let padder = CLIPImageProcessor(config: config)
        for (index, item) in try SafetyFixture.expected().padded_crops.enumerated() {
            let image = try RGBImage(width: item.width, height: item.height, pixels: item.pixels)
            XCTAssertEqual(try padder.resizedAndCropped(image).pixels, item.crop, "case \(index): \(item.width)×\(item.height)")
        }
    }

    func testLegacyAndCurrentPreprocessorConfigsDecodeAlike() throws {
        let legacy = try CLIPImageProcessor(
            contentsOf: SafetyFixture.checkerFolder.appendingPathComponent("preprocessor_config.json")).config
        XCTAssertEqual(legacy, CLIPImageProcessorConfig.openAICLIPViTBasePatch32)
        let current = """
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
            """
        XCTAssertEqual(try JSONDecoder().decode(CLIPImageProcessorConfig.self, from: Data(current.utf8)), legacy)
    }

    func testUnsupportedSettingsAreRejectedByName() {
        for (json, field) in [(#"{"resample": 0}"#, "resample"), (#"{"size": {"longest_edge": 224}}"#, "size"),
                              (#"{"crop_size": -3}"#, "crop_size"), (#"{"image_mean": [0.5, 0.5]}"#, "image_mean")] {
            XCTAssertThrowsError(try JSONDecoder().decode(CLIPImageProcessorConfig.self, from: Data(json.utf8))) { error in
                guard case let ConfigError.unsupported(name, _, _)? = error as? ConfigError else {
                    return XCTFail("\(json): expected ConfigError.unsupported, got \(error)")
                }
                XCTAssertEqual(name, field, json)
            }
        }
    }

    func testBatchOfDifferentSizesWithoutCropIsRejected() throws {
        var config = CLIPImageProcessorConfig()
        config.doCenterCrop = false
        let images = [try RGBImage(width: 4, height: 4, pixels: .init(repeating: 9, count: 48)),
                      try RGBImage(width: 4, height: 8, pixels: .init(repeating: 9, count: 96))]
        XCTAssertThrowsError(try CLIPImageProcessor(config: config).pixelValues(images)) { error in
            XCTAssertEqual(error as? SafetyError, .mixedSizes(first: [224, 224], other: [224, 448]))
        }
    }
}

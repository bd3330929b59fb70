// PSNR, SSIM, max/mean |difference| and the heat-map against Tests/Fixtures/gen_comparison.py (numpy/scipy,
// cross-checked there against scikit-image 0.26's structural_similarity), plus the cases with exact answers.

import Foundation
import Images
import TestSupport
import XCTest

final class ImageComparisonTests: XCTestCase {
    private struct Case: Decodable {
        let name: String
        let width: Int
        let height: Int
        let psnr: Double?
        let ssim: Double
        let maxAbs: Int
        let meanAbs: Double

        enum CodingKeys: String, CodingKey {
            case name, width, height, psnr, ssim
            case maxAbs = "max_abs", meanAbs = "mean_abs"
        }
    }

    private func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: Fixtures.url("comparison/manifest.json")))
    }

    private func image(_ name: String, _ suffix: String, _ fixture: Case) throws -> RGBImage {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("comparison/\(name).\(suffix).rgb")))
        return try RGBImage(width: fixture.width, height: fixture.height, pixels: bytes)
    }

    func testMeasuresMatchTheReferenceScript() throws {
        let fixtures = try cases()
        XCTAssertEqual(fixtures.count, 8)
        for fixture in fixtures {
            let comparison = try ImageComparison(try image(fixture.name, "a", fixture), try image(fixture.name, "b", fixture))
            if let psnr = fixture.psnr {
                XCTAssertEqual(comparison.psnr, psnr, accuracy: 1e-9, fixture.name)
            } else {
                XCTAssertEqual(comparison.psnr, .infinity, fixture.name)
            }
            let ssim = try XCTUnwrap(comparison.ssim, fixture.name)
            XCTAssertEqual(ssim, fixture.ssim, accuracy: 1e-10, "\(fixture.name): SSIM \(ssim) vs \(fixture.ssim)")
            XCTAssertEqual(comparison.maxAbsDifference, fixture.maxAbs, fixture.name)
            XCTAssertEqual(comparison.meanAbsDifference, fixture.meanAbs, accuracy: 1e-12, fixture.name)
        }
    }

    func testHeatMapsMatchTheReferenceScript() throws {
        for fixture in try cases() {
            let heatMap = try DifferenceHeatMap.render(try image(fixture.name, "a", fixture), try image(fixture.name, "b", fixture))
            XCTAssertEqual(heatMap, try image(fixture.name, "heat", fixture), fixture.name)
        }
    }

    func testOneLevelEverywhereIsFortyEightDecibels() throws {
        // MSE 1 → 10·log10(255²) = 48.1308… dB.
        let a = try RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 100, count: 16 * 16 * 3))
        let b = try RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 101, count: 16 * 16 * 3))
        let comparison = try ImageComparison(a, b)
        XCTAssertEqual(comparison.psnr, 20 * log10(255.0), accuracy: 1e-12)
        XCTAssertEqual(comparison.maxAbsDifference, 1)
        XCTAssertEqual(comparison.meanAbsDifference, 1)
    }

    func testIdenticalImagesHaveInfinitePSNRUnitSSIMAndABlackHeatMap() throws {
        let pixels = (0..<(20 * 12 * 3)).map { UInt8($0 % 251) }
        let a = try RGBImage(width: 20, height: 12, pixels: pixels)
        let comparison = try ImageComparison(a, a)
        XCTAssertEqual(comparison.psnr, .infinity)
        XCTAssertEqual(comparison.ssim, 1)
        XCTAssertEqual(comparison.maxAbsDifference, 0)
        XCTAssertEqual(try DifferenceHeatMap.render(a, a).pixels, [UInt8](repeating: 0, count: pixels.count))
    }

    func testSSIMIsUndefinedBelowTheWindowSize() throws {
        let a = try RGBImage(width: 10, height: 40, pixels: [UInt8](repeating: 7, count: 10 * 40 * 3))
        XCTAssertNil(try ImageComparison(a, a).ssim)
    }

    func testDifferentSizesAreRefused() throws {
        let a = try RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 0, count: 192))
        let b = try RGBImage(width: 8, height: 4, pixels: [UInt8](repeating: 0, count: 96))
        XCTAssertThrowsError(try ImageComparison(a, b)) { error in
            XCTAssertEqual(error as? ImageComparisonError, .sizeMismatch(width: 8, height: 8, otherWidth: 8, otherHeight: 4))
        }
        XCTAssertThrowsError(try DifferenceHeatMap.render(a, b))
    }
}

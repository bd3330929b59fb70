// Resizing against Pillow 13's `Image.resize(size, filter)` on a seeded random 37×29 RGB image: shrinking,
// enlarging, one axis only, odd sizes, and both pass orders (50×20 and 34×21 run the vertical pass first,
// 33×21 is the tie that stays horizontal-first). Tolerance 0: Pillow's 8-bit path is fixed-point integer math and
// this implementation reproduces it, so any difference is a bug (the measured difference is printed).

import XCTest
import Images

final class ResizeTests: XCTestCase {
    private func assertResizesLikePillow(_ filterName: String, _ filter: ResampleFilter, line: UInt = #line) throws {
        let manifest = try ImageFixtures.manifest().resize
        let source = try RGBImage(width: manifest.source.width, height: manifest.source.height,
                                  pixels: ImageFixtures.bytes("resize/source.rgb"))
        let cases = manifest.cases.filter { $0.filter == filterName }
        XCTAssertFalse(cases.isEmpty, "no \(filterName) cases in manifest.json", line: line)
        for fixture in cases {
            let expected = try RGBImage(width: fixture.width, height: fixture.height,
                                        pixels: ImageFixtures.bytes("resize/\(fixture.name).rgb"))
            let resized = try source.resized(width: fixture.width, height: fixture.height, filter: filter)
            let difference = maxChannelDifference(resized, expected)
            XCTAssertEqual(difference, 0, "\(fixture.name): max |Δ| = \(difference) levels, tolerance 0", line: line)
        }
    }

    func testLanczosMatchesPillowExactly() throws {
        try assertResizesLikePillow("lanczos", .lanczos)
    }

    func testBicubicMatchesPillowExactly() throws {
        try assertResizesLikePillow("bicubic", .bicubic)
    }

    func testBilinearMatchesPillowExactly() throws {
        try assertResizesLikePillow("bilinear", .bilinear)
    }

    func testResizingToTheSameSizeReturnsTheImageUnchanged() throws {
        let source = try ImageDecoder.decode(ImageFixtures.bytes("decode/rgb8.png"))
        XCTAssertEqual(try source.resized(width: source.width, height: source.height, filter: .lanczos), source)
    }

    func testNonPositiveTargetSizeIsRejected() throws {
        let source = try ImageDecoder.decode(ImageFixtures.bytes("decode/rgb8.png"))
        XCTAssertThrowsError(try source.resized(width: 0, height: 4, filter: .bicubic)) { error in
            XCTAssertEqual(error as? ImageError, .zeroSize(width: 0, height: 4))
        }
    }
}

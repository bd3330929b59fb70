// Format detection by signature bytes, and RGBImage's size validation.

import XCTest
import Images

final class ImageFormatTests: XCTestCase {
    func testSignaturesAreRecognised() {
        XCTAssertEqual(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]), .png)
        XCTAssertEqual(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertNil(ImageFormat.detect([0xFF, 0xD8]))
        XCTAssertNil(ImageFormat.detect(Array("GIF89a".utf8)))
    }

    func testRGBImageRejectsAMismatchedBuffer() {
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [0, 0, 0])) { error in
            XCTAssertEqual(error as? ImageError, .pixelCountMismatch(width: 2, height: 2, byteCount: 3))
        }
    }

    func testRGBImageRejectsAnOverflowingSizeWithoutTrapping() {
        XCTAssertThrowsError(try RGBImage(width: Int.max, height: 3, pixels: []))
    }
}

// PNG encoding: an RGBImage written with libpng's simplified API and decoded again must be unchanged.

import XCTest
import Images

final class PNGEncodingTests: XCTestCase {
    func testEncodedPNGDecodesToTheSamePixels() throws {
        let width = 29, height = 17
        let pixels = (0..<width * height * 3).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let image = try RGBImage(width: width, height: height, pixels: pixels)
        let decoded = try ImageDecoder.decode(image.pngData())
        XCTAssertEqual(decoded, image, "max |Δ| = \(maxChannelDifference(decoded, image))")
    }

    func testEncodedPNGIsAnEightBitRGBFile() throws {
        let image = try RGBImage(width: 3, height: 2, pixels: Array(repeating: 200, count: 18))
        let png = try image.pngData()
        XCTAssertEqual(ImageFormat.detect(png), .png)
        XCTAssertEqual(Array(png[12..<16]), Array("IHDR".utf8))
        XCTAssertEqual(png[24], 8, "bit depth")
        XCTAssertEqual(png[25], 2, "colour type RGB")
    }

    func testLargeNoisyImageRoundTrips() throws {  // incompressible data exercises the buffer-growing path
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let pixels = (0..<256 * 192 * 3).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let image = try RGBImage(width: 256, height: 192, pixels: pixels)
        XCTAssertEqual(try ImageDecoder.decode(image.pngData()), image)
    }
}

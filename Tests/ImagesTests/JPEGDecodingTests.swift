// JPEG decoding against Pillow 13 (libjpeg-turbo, islow IDCT, fancy upsampling). Tolerance: ±1 level per
// channel, the IDCT rounding slack between libjpeg-turbo builds; the measured difference is printed on failure.

import XCTest
import Images

final class JPEGDecodingTests: XCTestCase {
    func testChromaSubsampledJPEGsMatchPillowWithinOneLevel() throws {
        try assertDecodesLikePillow(["jpeg_420", "jpeg_422", "jpeg_444"], tolerance: 1)
    }

    func testProgressiveAndRestartMarkerJPEGsMatchPillowWithinOneLevel() throws {
        try assertDecodesLikePillow(["jpeg_progressive", "jpeg_restart"], tolerance: 1)
    }

    func testGrayscaleJPEGIsReplicatedToRGBLikePillow() throws {
        try assertDecodesLikePillow(["jpeg_gray"], tolerance: 1)
    }

    func testCMYKJPEGUsesPillowsInvertedCMYKConversion() throws {
        try assertDecodesLikePillow(["jpeg_cmyk"], tolerance: 1)
    }

    func testExifOrientationIsIgnoredLikePillowOpen() throws {
        try assertDecodesLikePillow(["jpeg_exif_rotated"], tolerance: 1)
    }

    func testJPEGWithExtraneousBytesIsAcceptedLikePillow() throws {
        try assertDecodesLikePillow(["jpeg_extraneous_bytes"], tolerance: 1)
    }
}

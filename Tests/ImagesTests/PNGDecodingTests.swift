// PNG decoding against Pillow 13's `Image.open(f).convert("RGB")`: every colour type and bit depth, tRNS,
// ancillary gamma/colour chunks, Adam7 interlacing. Tolerance 0 (bit-exact) except where noted.

import XCTest
import Images

final class PNGDecodingTests: XCTestCase {
    func testLowBitDepthAndEightBitGrayMatchPillowExactly() throws {
        try assertDecodesLikePillow(["gray1", "gray2", "gray4", "gray8"], tolerance: 0)
    }

    func testSixteenBitGrayIsClippedTo255LikePillowsI16Conversion() throws {
        try assertDecodesLikePillow(["gray16", "gray16_trns"], tolerance: 0)
    }

    func testGrayAlphaDropsAlphaLikePillow() throws {
        try assertDecodesLikePillow(["gray_alpha8", "gray_alpha16", "gray_alpha16_adam7"], tolerance: 0)
    }

    func testRGBMatchesPillowExactly() throws {
        try assertDecodesLikePillow(["rgb8", "rgb16", "rgb8_adam7", "pillow_rgb_1x1"], tolerance: 0)
    }

    func testTransparencyChunkIsIgnoredLikePillow() throws {
        try assertDecodesLikePillow(["gray8_trns", "rgb8_trns", "rgb16_trns", "palette4_trns", "palette8_trns_adam7"],
                                    tolerance: 0)
    }

    func testEightBitRGBADropsAlphaWithoutCompositing() throws {
        try assertDecodesLikePillow(["rgba8", "pillow_rgba"], tolerance: 0)
    }

    /// 16-bit RGBA: opaque pixels are exact; libpng's simplified API scales translucent ones with rounding
    /// (v·255/65535) where Pillow truncates (v >> 8), so they may differ by one level.
    func testSixteenBitRGBAWithinOneLevelOfPillow() throws {
        try assertDecodesLikePillow(["rgba16"], tolerance: 1)
    }

    /// Interlaced 16-bit RGBA: translucent pixels are un-premultiplied, within one level where alpha ≥ 129
    /// (the fixture's alphas are 129…65535; fully transparent pixels lose their colour, see PNGDecoder).
    func testInterlacedSixteenBitRGBAWithinOneLevelOfPillowWhereVisible() throws {
        try assertDecodesLikePillow(["rgba16_adam7"], tolerance: 1)
    }

    func testInterlacedPNGsMatchPillowExactly() throws {
        try assertDecodesLikePillow(["gray2_adam7", "gray16_adam7", "rgb16_adam7", "palette8_trns_adam7"], tolerance: 0)
    }

    func testPaletteImagesMatchPillowExactly() throws {
        try assertDecodesLikePillow(["palette1", "palette2", "palette4", "palette8"], tolerance: 0)
    }

    func testGammaAndColourSpaceChunksDoNotChangeValues() throws {
        try assertDecodesLikePillow(["rgb8_gamma_linear", "rgb16_gamma_linear", "gray8_gamma_linear", "rgba8_srgb"],
                                    tolerance: 0)
    }

    func testExifOrientationIsIgnoredLikePillowOpen() throws {
        try assertDecodesLikePillow(["rgb8_exif_rotated"], tolerance: 0)
    }

    func testDataOverloadDecodesTheSameImage() throws {
        let bytes = try ImageFixtures.bytes("decode/rgb8.png")
        XCTAssertEqual(try ImageDecoder.decode(Data(bytes)), try ImageDecoder.decode(bytes))
    }
}

// Malformed, truncated, oversized and unknown files: each must be refused with its specific ImageError,
// never a crash. The expected error kind of each file is also recorded in manifest.json.

import XCTest
import Images

final class BrokenInputTests: XCTestCase {
    /// Decodes `broken/<file>` and checks that the error satisfies `matches`.
    private func assertRejected(_ file: String, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                                line: UInt = #line, _ matches: (ImageError) -> Bool) throws {
        let bytes = try ImageFixtures.bytes("broken/\(file)")
        XCTAssertThrowsError(try ImageDecoder.decode(bytes, maxPixels: maxPixels), file, line: line) { error in
            guard let imageError = error as? ImageError else {
                return XCTFail("\(file): \(error) is not an ImageError", line: line)
            }
            XCTAssertTrue(matches(imageError), "\(file): unexpected error \(imageError)", line: line)
        }
    }

    func testTruncatedPNGIsRejectedAsTruncated() throws {
        try assertRejected("truncated.png") { if case .truncated(.png, _) = $0 { return true }; return false }
    }

    /// Stricter than Pillow, which does not check IDAT CRCs: libpng refuses the damaged chunk.
    func testPNGWithBadIDATChecksumIsRejectedAsCorrupt() throws {
        try assertRejected("bad_crc.png") { error in
            if case .corrupt(.png, let detail) = error { return detail.contains("CRC") }
            return false
        }
    }

    func testPNGWithBadAncillaryChunkChecksumIsRejectedAsCorrupt() throws {
        try assertRejected("bad_ancillary_crc.png") { $0 == .corrupt(format: .png, detail: "tEXt: CRC error") }
    }

    func testPNGSignatureWithoutChunksIsRejectedAsTruncated() throws {
        try assertRejected("signature_only.png") { if case .truncated(.png, _) = $0 { return true }; return false }
    }

    func testPNGHeaderClaiming100000SquaredIsRefusedBeforeAllocating() throws {
        try assertRejected("huge.png") {
            $0 == .tooLarge(format: .png, width: 100_000, height: 100_000, maxPixels: 4096 * 4096)
        }
    }

    func testZeroWidthPNGIsRejected() throws {
        try assertRejected("zero_width.png") { $0 == .zeroSize(width: 0, height: 5) }
    }

    func testTruncatedJPEGIsRejectedAsTruncated() throws {
        try assertRejected("truncated.jpg") { if case .truncated(.jpeg, _) = $0 { return true }; return false }
    }

    func testJPEGOfGarbageAfterTheSOIMarkerIsRejectedAsCorrupt() throws {
        try assertRejected("garbage.jpg") { if case .corrupt(.jpeg, _) = $0 { return true }; return false }
    }

    func testJPEGHeaderClaiming60000SquaredIsRefusedBeforeAllocating() throws {
        try assertRejected("huge.jpg") {
            $0 == .tooLarge(format: .jpeg, width: 60_000, height: 60_000, maxPixels: 4096 * 4096)
        }
    }

    func testUnknownSignatureIsRejected() throws {
        try assertRejected("unknown.bin") { if case .unknownFormat = $0 { return true }; return false }
    }

    func testEmptyInputIsRejectedAsUnknownFormat() throws {
        try assertRejected("empty.bin") { $0 == .unknownFormat(leadingBytes: []) }
    }

    func testPixelLimitIsInclusiveAndConfigurable() throws {
        let png = try ImageFixtures.bytes("decode/rgb8.png")  // 13 × 7 = 91 pixels
        XCTAssertNoThrow(try ImageDecoder.decode(png, maxPixels: 91))
        XCTAssertThrowsError(try ImageDecoder.decode(png, maxPixels: 90)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(format: .png, width: 13, height: 7, maxPixels: 90))
        }
    }

    func testEveryTruncationOfAPNGBeforeItsIENDChunkFails() throws {
        let bytes = try ImageFixtures.bytes("decode/rgb8_adam7.png")
        for length in 0..<(bytes.count - 12) {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(bytes.prefix(length))), "cut at \(length)")
        }
    }

    func testPNGMissingOnlyItsIENDChunkDecodesLikePillow() throws {
        let bytes = try ImageFixtures.bytes("decode/rgb8_adam7.png")
        let expected = try ImageFixtures.expectedImage(ImageFixtures.decodeCase("rgb8_adam7"))
        XCTAssertEqual(try ImageDecoder.decode(Array(bytes.dropLast(12))), expected)
    }

    func testEveryTruncationOfAJPEGFails() throws {
        let bytes = try ImageFixtures.bytes("decode/jpeg_progressive.jpg")
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(bytes.prefix(length))), "cut at \(length)")
        }
    }
}

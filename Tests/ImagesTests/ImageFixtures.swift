// Loads the image fixtures written by Tests/Fixtures/gen_images.py (Pillow 13.0.0): encoded files, Pillow's
// decoded RGB bytes, resize cases, and the manifest that lists them.

import Foundation
import XCTest
import Images

/// The fixture directory and its manifest.
enum ImageFixtures {
    struct DecodeCase: Decodable {
        let name: String
        let file: String
        let width: Int
        let height: Int
        let pillowMode: String

        enum CodingKeys: String, CodingKey {
            case name, file, width, height
            case pillowMode = "pillow_mode"
        }
    }

    struct ResizeCase: Decodable {
        let name: String
        let filter: String
        let width: Int
        let height: Int
    }

    struct ResizeSection: Decodable {
        struct Size: Decodable { let width: Int; let height: Int }
        let source: Size
        let cases: [ResizeCase]
    }

    struct BrokenCase: Decodable {
        let file: String
        let error: String
    }

    struct Manifest: Decodable {
        let decode: [DecodeCase]
        let resize: ResizeSection
        let broken: [BrokenCase]
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    static func manifest() throws -> Manifest {
        let json = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(Manifest.self, from: json)
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(relativePath)))
    }

    /// The decode case called `name`, failing the test if the manifest lacks it.
    static func decodeCase(_ name: String) throws -> DecodeCase {
        try XCTUnwrap(manifest().decode.first { $0.name == name }, "fixture \(name) missing from manifest.json")
    }

    /// Pillow's RGB pixels for a decode case.
    static func expectedImage(_ fixture: DecodeCase) throws -> RGBImage {
        try RGBImage(width: fixture.width, height: fixture.height, pixels: bytes("decode/\(fixture.name).rgb"))
    }
}

/// The largest absolute per-channel difference between two equally sized images (Int.max if sizes differ).
func maxChannelDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
    guard a.width == b.width, a.height == b.height else { return Int.max }
    return zip(a.pixels, b.pixels).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}

/// Decodes each named fixture and checks it against Pillow's pixels within `tolerance` levels per channel;
/// returns the largest difference seen.
@discardableResult
func assertDecodesLikePillow(_ names: [String], tolerance: Int, file: StaticString = #filePath,
                             line: UInt = #line) throws -> Int {
    var worst = 0
    for name in names {
        let fixture = try ImageFixtures.decodeCase(name)
        let decoded = try ImageDecoder.decode(ImageFixtures.bytes("decode/\(fixture.file)"))
        let expected = try ImageFixtures.expectedImage(fixture)
        XCTAssertEqual(decoded.width, expected.width, "\(name): width", file: file, line: line)
        XCTAssertEqual(decoded.height, expected.height, "\(name): height", file: file, line: line)
        let difference = maxChannelDifference(decoded, expected)
        XCTAssertLessThanOrEqual(difference, tolerance,
                                 "\(name) (Pillow mode \(fixture.pillowMode)): max |Δ| = \(difference) levels, "
                                 + "tolerance \(tolerance)", file: file, line: line)
        worst = max(worst, difference)
    }
    return worst
}

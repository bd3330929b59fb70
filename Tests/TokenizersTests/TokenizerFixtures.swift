// Locates and decodes the tokenizer fixtures (Tests/Fixtures/tokenizer/, written by gen_tokenizer.py) and the
// committed CLIP tokenizer files (weights/clip-tokenizer/), and assembles tokenizer folders in temp directories.

import Foundation
import XCTest

/// Expected transformers output for one tokenizer folder.
struct ExpectedEncodings: Decodable {
    let padTokenID: Int
    let modelMaxLength: Int
    /// The `max_length` the prompts were encoded with (77).
    let maxLength: Int
    /// transformers' `maxLength` ids per prompt (stored without their trailing pad ids, restored here).
    let ids: [[Int]]
    let contentIDs: [[Int]]

    enum CodingKeys: String, CodingKey {
        case padTokenID = "pad_token_id"
        case modelMaxLength = "model_max_length"
        case maxLength = "max_length"
        case ids
        case contentIDs = "content_ids"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        padTokenID = try container.decode(Int.self, forKey: .padTokenID)
        modelMaxLength = try container.decode(Int.self, forKey: .modelMaxLength)
        maxLength = try container.decode(Int.self, forKey: .maxLength)
        contentIDs = try container.decode([[Int]].self, forKey: .contentIDs)
        let unpadded = try container.decode([[Int]].self, forKey: .ids)
        ids = unpadded.map { [padTokenID, maxLength] row in
            row + Array(repeating: padTokenID, count: max(0, maxLength - row.count))
        }
    }
}

/// full.json: the prompts and, per special-token variant, transformers' encodings with the full CLIP vocabulary.
struct FullFixture: Decodable {
    let prompts: [String]
    let variants: [String: ExpectedEncodings]
}

/// small.json: the prompts and transformers' encodings of the small tokenizer in both file forms.
struct SmallFixture: Decodable {
    let prompts: [String]
    let forms: [String: ExpectedEncodings]
}

enum TokenizerFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizer")
    static let clipTokenizer = repositoryRoot.appendingPathComponent("weights/clip-tokenizer")

    static func full() throws -> FullFixture {
        try JSONDecoder().decode(FullFixture.self,
                                 from: Data(contentsOf: directory.appendingPathComponent("full.json")))
    }

    static func small() throws -> SmallFixture {
        try JSONDecoder().decode(SmallFixture.self,
                                 from: Data(contentsOf: directory.appendingPathComponent("small.json")))
    }

    /// A fresh empty temp directory, removed when the test ends.
    static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("TokenizersTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A folder with weights/clip-tokenizer's vocab.json + merges.txt and the special-token files of `variant`.
    static func variantFolder(_ variant: String, _ testCase: XCTestCase) throws -> URL {
        let folder = try temporaryDirectory(testCase)
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: clipTokenizer.appendingPathComponent(name),
                                             to: folder.appendingPathComponent(name))
        }
        let variantDirectory = directory.appendingPathComponent("variants/\(variant)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: variantDirectory.path), "no fixture variant \(variant)")
        for name in try FileManager.default.contentsOfDirectory(atPath: variantDirectory.path)
        where name.hasSuffix(".json") {
            try FileManager.default.copyItem(at: variantDirectory.appendingPathComponent(name),
                                             to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// A copy of `source`'s files (all of them, or only `names`) in a fresh temp folder.
    static func copy(_ source: URL, only names: [String]? = nil, _ testCase: XCTestCase) throws -> URL {
        let folder = try temporaryDirectory(testCase)
        for name in try names ?? FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name),
                                             to: folder.appendingPathComponent(name))
        }
        return folder
    }
}

/// Compares a tokenizer with transformers' encodings prompt by prompt; reports every differing prompt.
func assertMatchesTransformers(_ encode: (String) -> [Int], prompts: [String], expected: [[Int]], _ what: String,
                               file: StaticString = #filePath, line: UInt = #line)
{
    XCTAssertEqual(prompts.count, expected.count, "fixture is inconsistent", file: file, line: line)
    var mismatches: [String] = []
    for (prompt, expectedIDs) in zip(prompts, expected) {
        let actual = encode(prompt)
        if actual != expectedIDs {
            mismatches.append("prompt \(prompt.debugDescription)\n  expected \(expectedIDs)\n  actual   \(actual)")
        }
    }
    XCTAssertTrue(mismatches.isEmpty, "\(what): \(mismatches.count) of \(prompts.count) prompts differ " +
                  "from transformers (exact match required):\n" + mismatches.joined(separator: "\n"),
                  file: file, line: line)
}

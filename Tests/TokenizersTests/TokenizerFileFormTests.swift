// The two file forms of a tokenizer folder — tokenizer.json (transformers 5) and vocab.json + merges.txt (the
// Hub's SD repos) — on a small CLIP tokenizer that also lacks a few byte symbols (unknown-token path).

import Foundation
import Tokenizers
import XCTest

final class TokenizerFileFormTests: XCTestCase {
    private var smallVocab: URL { TokenizerFixtures.directory.appendingPathComponent("small-vocab") }
    private var smallJSON: URL { TokenizerFixtures.directory.appendingPathComponent("small-json") }

    func testVocabAndMergesFormMatchesTransformers() throws {
        let fixture = try TokenizerFixtures.small()
        let expected = try XCTUnwrap(fixture.forms["small-vocab"])
        let tokenizer = try CLIPTokenizer(directory: smallVocab)
        XCTAssertEqual(tokenizer.padTokenID, expected.padTokenID)
        assertMatchesTransformers(tokenizer.encode, prompts: fixture.prompts, expected: expected.ids, "encode")
        assertMatchesTransformers(tokenizer.tokenize, prompts: fixture.prompts, expected: expected.contentIDs,
                                  "tokenize")
    }

    func testTokenizerJSONAloneMatchesTransformers() throws {
        let fixture = try TokenizerFixtures.small()
        let expected = try XCTUnwrap(fixture.forms["small-json"])
        let tokenizer = try CLIPTokenizer(directory: smallJSON)
        XCTAssertEqual(tokenizer.padTokenID, expected.padTokenID, "without a config the pad is <|endoftext|>")
        XCTAssertEqual(tokenizer.maxLength, 77, "without a config the context length defaults to 77")
        assertMatchesTransformers(tokenizer.encode, prompts: fixture.prompts, expected: expected.ids, "encode")
        assertMatchesTransformers(tokenizer.tokenize, prompts: fixture.prompts, expected: expected.contentIDs,
                                  "tokenize")
    }

    func testTokenizerJSONFormEqualsVocabAndMergesForm() throws {
        let prompts = try TokenizerFixtures.small().prompts
        let fromVocab = try CLIPTokenizer(directory: smallVocab)
        let fromJSON = try CLIPTokenizer(directory: smallJSON)
        assertMatchesTransformers(fromJSON.tokenize, prompts: prompts, expected: prompts.map(fromVocab.tokenize),
                                  "tokenizer.json vs vocab.json + merges.txt")
    }

    func testTokenizerJSONWinsOverVocabAndMerges() throws {
        let folder = try TokenizerFixtures.copy(smallJSON, self)
        try "{\"not\": 1}".write(to: folder.appendingPathComponent("vocab.json"), atomically: true, encoding: .utf8)
        try "#version: 0.2\n".write(to: folder.appendingPathComponent("merges.txt"), atomically: true,
                                    encoding: .utf8)
        let expected = try XCTUnwrap(TokenizerFixtures.small().forms["small-json"])
        let tokenizer = try CLIPTokenizer(directory: folder)
        XCTAssertEqual(tokenizer.encode("a photo of a cat"), try CLIPTokenizer(directory: smallJSON)
            .encode("a photo of a cat"))
        XCTAssertEqual(tokenizer.padTokenID, expected.padTokenID)
    }

    func testTokenizerJSONWithStringMergesLoadsTheSameMerges() throws {
        let folder = try TokenizerFixtures.copy(smallJSON, self)
        let url = folder.appendingPathComponent("tokenizer.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var model = try XCTUnwrap(json["model"] as? [String: Any])
        let pairs = try XCTUnwrap(model["merges"] as? [[String]])
        model["merges"] = pairs.map { $0.joined(separator: " ") }
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let prompts = try TokenizerFixtures.small().prompts
        let reference = try CLIPTokenizer(directory: smallJSON)
        assertMatchesTransformers(try CLIPTokenizer(directory: folder).tokenize, prompts: prompts,
                                  expected: prompts.map(reference.tokenize), "\"a b\" merges vs [a, b] merges")
    }

    func testBytesMissingFromTheVocabularyBecomeUnknownTokens() throws {
        let tokenizer = try CLIPTokenizer(directory: smallVocab)
        // "タ" is E3 82 BF; the small vocabulary has no symbol for byte E3 and no merge for 82 BF.
        let ids = tokenizer.tokenize("タ")
        XCTAssertEqual(ids.count, 3, "one id per byte, ids \(ids)")
        XCTAssertEqual(ids.first, tokenizer.unknownTokenID, "ids \(ids)")
        XCTAssertFalse(ids.dropFirst().contains(tokenizer.unknownTokenID), "ids \(ids)")
    }
}

// Each malformed or incomplete tokenizer folder is rejected with its specific TokenizerError.

import Foundation
import Tokenizers
import XCTest

final class TokenizerErrorTests: XCTestCase {
    private func assertThrows(_ expected: (TokenizerError) -> Bool, loading folder: URL,
                              file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try CLIPTokenizer(directory: folder), file: file, line: line) { error in
            guard let error = error as? TokenizerError else {
                return XCTFail("expected a TokenizerError, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(expected(error), "unexpected error: \(error)", file: file, line: line)
        }
    }

    private func write(_ text: String, _ name: String, in folder: URL) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private var smallVocab: URL { TokenizerFixtures.directory.appendingPathComponent("small-vocab") }

    func testEmptyFolderThrowsMissingFiles() throws {
        let folder = try TokenizerFixtures.temporaryDirectory(self)
        assertThrows({ if case .missingFiles = $0 { return true } else { return false } }, loading: folder)
    }

    func testVocabWithoutMergesThrowsMissingFiles() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json"], self)
        assertThrows({ if case .missingFiles = $0 { return true } else { return false } }, loading: folder)
    }

    func testVocabThatIsNotAnObjectThrowsMalformedFile() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["merges.txt"], self)
        try write("[1, 2, 3]", "vocab.json", in: folder)
        assertThrows({ if case .malformedFile(let path, _) = $0 { return path.hasSuffix("vocab.json") }
                       else { return false } }, loading: folder)
    }

    func testMergeLineWithThreePartsThrowsMalformedFile() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json"], self)
        try write("#version: 0.2\ni n\nt h e\n", "merges.txt", in: folder)
        assertThrows({ if case .malformedFile(let path, _) = $0 { return path.hasSuffix("merges.txt") }
                       else { return false } }, loading: folder)
    }

    func testMergeOfUnknownTokensThrowsMergeOutsideVocabulary() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json"], self)
        try write("#version: 0.2\ni n\nzzz qqq\n", "merges.txt", in: folder)
        assertThrows({ $0 == .mergeOutsideVocabulary(path: folder.appendingPathComponent("merges.txt").path,
                                                     line: 2, merge: "zzz qqq") }, loading: folder)
    }

    func testNullPadTokenThrowsMissingSpecialToken() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json", "merges.txt"], self)
        try write("{\"pad_token\": null, \"model_max_length\": 77}", "tokenizer_config.json", in: folder)
        assertThrows({ $0 == .missingSpecialToken(name: "pad_token") }, loading: folder)
    }

    func testSpecialTokenOutsideVocabularyThrows() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json", "merges.txt"], self)
        try write("{\"pad_token\": \"<|pad|>\"}", "special_tokens_map.json", in: folder)
        assertThrows({ $0 == .tokenOutsideVocabulary(token: "<|pad|>") }, loading: folder)
    }

    func testUnboundedModelMaxLengthThrows() throws {
        let folder = try TokenizerFixtures.copy(smallVocab, only: ["vocab.json", "merges.txt"], self)
        try write("{\"model_max_length\": 1000000000000000019884624838656}", "tokenizer_config.json", in: folder)
        assertThrows({ if case .invalidModelMaxLength = $0 { return true } else { return false } }, loading: folder)
    }

    func testNonBPETokenizerJSONThrowsUnsupportedSetting() throws {
        let folder = try TokenizerFixtures.temporaryDirectory(self)
        try write("{\"model\": {\"type\": \"Unigram\", \"vocab\": {}, \"merges\": []}}", "tokenizer.json", in: folder)
        assertThrows({ if case .unsupportedSetting(_, let value) = $0 { return value == "Unigram" }
                       else { return false } }, loading: folder)
    }

    func testErrorMessagesNameTheProblem() {
        XCTAssertEqual(TokenizerError.missingSpecialToken(name: "pad_token").description,
                       "pad_token is null in the tokenizer files; a CLIP tokenizer needs it")
        XCTAssertTrue(TokenizerError.missingFiles(directory: "/m/tokenizer").description.contains("merges.txt"))
    }
}

// CLIPTokenizer against transformers 5.23's CLIPTokenizer with the full CLIP vocabulary: every prompt of
// full.json, in each special-token layout SD checkpoints ship. Exact equality of ids is required.

import Foundation
import Tokenizers
import XCTest

final class CLIPTokenizerParityTests: XCTestCase {
    private func assertVariantMatches(_ variant: String, padTokenID: Int, file: StaticString = #filePath,
                                      line: UInt = #line) throws
    {
        let fixture = try TokenizerFixtures.full()
        let expected = try XCTUnwrap(fixture.variants[variant], "no variant \(variant) in full.json")
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.variantFolder(variant, self))
        XCTAssertEqual(tokenizer.padTokenID, expected.padTokenID, "pad token id", file: file, line: line)
        XCTAssertEqual(tokenizer.padTokenID, padTokenID, "pad token id", file: file, line: line)
        assertMatchesTransformers(tokenizer.encode, prompts: fixture.prompts, expected: expected.ids,
                                  "\(variant) encode (77 ids)", file: file, line: line)
        assertMatchesTransformers(tokenizer.tokenize, prompts: fixture.prompts, expected: expected.contentIDs,
                                  "\(variant) tokenize (content ids)", file: file, line: line)
    }

    func testSD1ModeMatchesTransformers() throws {
        try assertVariantMatches("sd1", padTokenID: 49407)
    }

    func testSD2ModeWithExclamationPadMatchesTransformers() throws {
        try assertVariantMatches("sd2", padTokenID: 0)
    }

    func testSD1ConfigWithAddedTokensDecoderMatchesTransformers() throws {
        try assertVariantMatches("sd1-decoder", padTokenID: 49407)
    }

    func testSD2ConfigWithAddedTokensDecoderMatchesTransformers() throws {
        try assertVariantMatches("sd2-decoder", padTokenID: 0)
    }

    func testFolderWithoutSpecialTokenFilesMatchesTransformers() throws {
        try assertVariantMatches("bare", padTokenID: 49407)
    }

    func testCommittedCLIPTokenizerHasSD1SpecialTokens() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        XCTAssertEqual(tokenizer.bosTokenID, 49406)
        XCTAssertEqual(tokenizer.eosTokenID, 49407)
        XCTAssertEqual(tokenizer.padTokenID, 49407)
        XCTAssertEqual(tokenizer.unknownTokenID, 49407)
        XCTAssertEqual(tokenizer.maxLength, 77)
    }

    func testExclamationMarkIsThePadTokenInSD2Mode() throws {
        let sd1 = try CLIPTokenizer(directory: TokenizerFixtures.variantFolder("sd1", self))
        let sd2 = try CLIPTokenizer(directory: TokenizerFixtures.variantFolder("sd2", self))
        XCTAssertEqual(sd1.tokenize("wow!!!"), [2781, 995], "SD 1.x: \"!!!\" is one BPE token")
        XCTAssertEqual(sd2.tokenize("wow!!!"), [2781, 0, 0, 0], "SD 2.x: each \"!\" is the pad token, id 0")
    }
}

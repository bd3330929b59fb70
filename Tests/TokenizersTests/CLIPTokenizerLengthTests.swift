// Truncation and padding of encoded prompts: always maxLength ids, BOS first, EOS right after at most
// maxLength − 2 content ids.

import Foundation
import Tokenizers
import XCTest

final class CLIPTokenizerLengthTests: XCTestCase {
    func testLongPromptKeepsFirst75ContentIDsBetweenBOSAndEOS() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        let prompt = String(repeating: "a castle on a hill at sunset, ", count: 20)
        let content = tokenizer.tokenize(prompt)
        XCTAssertGreaterThan(content.count, 75, "the prompt must be longer than the context")
        let ids = tokenizer.encode(prompt)
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        XCTAssertEqual(Array(ids[1..<76]), Array(content.prefix(75)))
    }

    func testExactly75ContentTokensAreNotTruncated() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        let prompt = Array(repeating: "cat", count: 75).joined(separator: " ")
        XCTAssertEqual(tokenizer.tokenize(prompt).count, 75)
        XCTAssertEqual(tokenizer.encode(prompt), [49406] + tokenizer.tokenize(prompt) + [49407])
    }

    func testShortPromptIsPaddedWithThePadToken() throws {
        let sd2 = try CLIPTokenizer(directory: TokenizerFixtures.variantFolder("sd2", self))
        let ids = sd2.encode("a cat")
        XCTAssertEqual(ids, [49406, 320, 2368, 49407] + Array(repeating: 0, count: 73))
    }

    func testEmptyPromptIsBOSEOSAndPadding() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        XCTAssertEqual(tokenizer.tokenize(""), [])
        XCTAssertEqual(tokenizer.encode(""), [49406] + Array(repeating: 49407, count: 76))
    }

    func testConcurrentEncodingGivesTheSameIDs() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        let prompts = try TokenizerFixtures.full().prompts
        let expected = prompts.map(tokenizer.encode)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let fresh = prompts.reversed().map(tokenizer.encode).reversed()
            results[worker] = Array(fresh) == expected
        }
        XCTAssertEqual(Array(results), Array(repeating: true, count: 8))
    }
}

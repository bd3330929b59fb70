// One word thousands of bytes long: the ids transformers gives, and a megabyte-long word tokenized without
// stalling (the BPE merges through a queue in O(n log n); the plain O(n²) loop took minutes on such words).

import Foundation
import Tokenizers
import XCTest

final class LongWordTests: XCTestCase {
    func testLongWordsGiveTransformersIDs() throws {
        let data = try Data(contentsOf: TokenizerFixtures.directory.appendingPathComponent("long_words.json"))
        let fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let prompts = fixture["prompts"] as! [String], expected = fixture["content_ids"] as! [[Int]]
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        for (prompt, ids) in zip(prompts, expected) {
            XCTAssertEqual(tokenizer.tokenize(prompt), ids, String(prompt.prefix(20)))
        }
    }

    func testAMegabyteWordIsTokenized() throws {
        let tokenizer = try CLIPTokenizer(directory: TokenizerFixtures.clipTokenizer)
        let word = String(repeating: "supercalifragilistic", count: 50_000)
        let ids = tokenizer.tokenize(word)
        XCTAssertEqual(Array(ids.prefix(12)), Array(tokenizer.tokenize(String(word.prefix(240))).prefix(12)))
        XCTAssertEqual(tokenizer.encode(word).count, 77)
    }
}

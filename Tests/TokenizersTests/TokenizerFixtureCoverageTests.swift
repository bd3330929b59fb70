// Guards the breadth of the tokenizer fixtures: the parity tests are only as strong as the prompt list
// gen_tokenizer.py writes, so a regenerated fixture with too few prompts fails here.

import Foundation
import XCTest

final class TokenizerFixtureCoverageTests: XCTestCase {
    func testFullVocabularyFixtureHasAtLeast300Prompts() throws {
        let fixture = try TokenizerFixtures.full()
        XCTAssertGreaterThanOrEqual(fixture.prompts.count, 300,
                                    "full.json has \(fixture.prompts.count) prompts; at least 300 required")
    }

    func testEveryVariantHasOneEncodingPerPrompt() throws {
        let fixture = try TokenizerFixtures.full()
        for (name, expected) in fixture.variants {
            XCTAssertEqual(expected.ids.count, fixture.prompts.count, "\(name): ids rows")
            XCTAssertEqual(expected.contentIDs.count, fixture.prompts.count, "\(name): content_ids rows")
            let wrongLength = expected.ids.filter { $0.count != expected.maxLength }.count
            XCTAssertEqual(wrongLength, 0, "\(name): \(wrongLength) rows not \(expected.maxLength) ids long")
        }
    }
}

// The Mersenne Twister against the C++ standard's check value and torch's seed truncation.

import Random
import XCTest

final class MT19937Tests: XCTestCase {
    /// [rand.predef]: the 10000th output of a default-seeded (5489) std::mt19937 is 4123659995. Exact.
    func testTenThousandthOutputMatchesTheStandardCheckValue() {
        var engine = MT19937(seed: 5489)
        var output: UInt32 = 0
        for _ in 0..<10_000 { output = engine.next() }
        XCTAssertEqual(output, 4_123_659_995, "10000th output of mt19937(5489)")
    }

    /// torch seeds mt19937 with `seed & 0xffffffff`, so seeds 2^32 apart give the same stream. Exact.
    func testSeedIsTruncatedToItsLow32Bits() {
        var truncated = MT19937(seed: 5), full = MT19937(seed: (1 << 32) + 5)
        let a = (0..<700).map { _ in truncated.next() }, b = (0..<700).map { _ in full.next() }
        XCTAssertEqual(a, b, "streams of seeds 5 and 2^32 + 5 differ")
    }
}

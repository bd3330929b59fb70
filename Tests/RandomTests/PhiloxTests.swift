// Philox4x32-10 against Random123's known-answer vectors (kat_vectors: philox4x32 10 rounds).

import Random
import XCTest

final class PhiloxTests: XCTestCase {
    /// Zero counter, zero key. Exact.
    func testZeroCounterAndKeyGiveTheKnownAnswer() {
        XCTAssertEqual(Philox4x32.block(counter: .zero, key: .zero),
                       SIMD4<UInt32>(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
    }

    /// All-ones counter and key. Exact.
    func testAllOnesCounterAndKeyGiveTheKnownAnswer() {
        XCTAssertEqual(Philox4x32.block(counter: SIMD4(repeating: .max), key: SIMD2(repeating: .max)),
                       SIMD4<UInt32>(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
    }

    /// The digits-of-pi vector. Exact.
    func testPiDigitsCounterAndKeyGiveTheKnownAnswer() {
        XCTAssertEqual(Philox4x32.block(counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                                        key: SIMD2(0xA409_3822, 0x299F_31D0)),
                       SIMD4<UInt32>(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }
}

// The F16/BF16 bit conversions: widening is exact for every bit pattern and narrowing rounds to nearest even.
// Where Swift's Float16 exists, it is the independent reference.

import SafeTensors
import XCTest

final class HalfPrecisionTests: XCTestCase {
    func testEveryHalfWidensExactlyLikeFloat16() throws {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let widened = floatFromHalfBits(bits)
            let same = reference.isNaN ? widened.isNaN : widened.bitPattern == reference.bitPattern
            if !same { mismatches.append(bits) }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatching bit patterns: \(mismatches.prefix(8).map { String($0, radix: 16) })")
        #else
        throw XCTSkip("Float16 is unavailable on macOS x86_64")
        #endif
    }

    func testWideningAFileBufferMatchesTheBitConversionForEveryPattern() {
        // widenToFloat (the loader's path) against floatFromHalfBits for all 65536 F16 patterns (NaN as NaN).
        let patterns = (0...UInt16.max).map { $0.littleEndian }
        var widened = [Float](repeating: 0, count: patterns.count)
        patterns.withUnsafeBytes { bytes in
            widened.withUnsafeMutableBufferPointer { _ = widenToFloat(bytes, dtype: .f16, into: $0) }
        }
        let mismatches = (0...UInt16.max).filter { bits in
            let expected = floatFromHalfBits(bits), actual = widened[Int(bits)]
            return expected.isNaN ? !actual.isNaN : actual.bitPattern != expected.bitPattern
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatching bit patterns: \(mismatches.prefix(8).map { String($0, radix: 16) })")
    }

    func testHalfNarrowingInvertsWideningForEveryNonNaNPattern() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max where !floatFromHalfBits(bits).isNaN {
            if halfBits(from: floatFromHalfBits(bits)) != bits { mismatches.append(bits) }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatching bit patterns: \(mismatches.prefix(8).map { String($0, radix: 16) })")
    }

    func testHalfNarrowingMatchesFloat16OnRandomFloats() throws {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        var generator = TestLCG(seed: 42)
        var mismatches: [UInt32] = []
        for _ in 0..<1_000_000 {
            // Random bit patterns with exponents concentrated around the half range (2^-30 … 2^20).
            let exponent = UInt32(97 + generator.next() % 50) << 23
            let bits = UInt32(truncatingIfNeeded: generator.next()) & 0x807F_FFFF | exponent
            let value = Float(bitPattern: bits)
            if halfBits(from: value) != Float16(value).bitPattern { mismatches.append(bits) }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatching inputs: \(mismatches.prefix(8).map { String($0, radix: 16) })")
        #else
        throw XCTSkip("Float16 is unavailable on macOS x86_64")
        #endif
    }

    func testHalfNarrowingRoundsTiesToEvenAndOverflowsToInfinity() {
        XCTAssertEqual(halfBits(from: 1 + 0x1p-11), 0x3C00)      // tie, even is down
        XCTAssertEqual(halfBits(from: 1 + 3 * 0x1p-11), 0x3C02)  // tie, even is up
        XCTAssertEqual(halfBits(from: 0x1p-25), 0x0000)          // half the smallest subnormal: to even zero
        XCTAssertEqual(halfBits(from: 65519), 0x7BFF)
        XCTAssertEqual(halfBits(from: 65520), 0x7C00)
        XCTAssertEqual(halfBits(from: -.infinity), 0xFC00)
        XCTAssertEqual(halfBits(from: -.nan), 0xFE00)
    }

    func testEveryBFloat16RoundTripsThroughFloat() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max where !floatFromBFloat16Bits(bits).isNaN {
            if bfloat16Bits(from: floatFromBFloat16Bits(bits)) != bits { mismatches.append(bits) }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatching bit patterns: \(mismatches.prefix(8).map { String($0, radix: 16) })")
    }

    func testBFloat16NarrowingRoundsTiesToEven() {
        XCTAssertEqual(bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(bfloat16Bits(from: 1 + 3 * 0x1p-8), 0x3F82)
        XCTAssertEqual(bfloat16Bits(from: .greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(bfloat16Bits(from: .nan), 0xFFFF)
    }
}

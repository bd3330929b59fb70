// Helpers for the SafeTensors tests: build safetensors byte arrays by hand, expect specific errors,
// compare Float bit patterns, and make scratch directories.

import Foundation
import SafeTensors
import Tensors
import XCTest

/// A safetensors file: 8-byte little-endian length of `header`, the header, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    safetensorsBytes(headerLength: UInt64(header.utf8.count), header: Array(header.utf8), data: data)
}

/// A safetensors file whose length field says `headerLength`, whatever the header bytes are.
func safetensorsBytes(headerLength: UInt64, header: [UInt8], data: [UInt8] = []) -> [UInt8] {
    withUnsafeBytes(of: headerLength.littleEndian) { Array($0) } + header + data
}

/// Fails unless reading `bytes` throws exactly `expected`.
func assertRejects(_ bytes: [UInt8], with expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line) {
    assertRejects(bytes, file: file, line: line) { $0 == expected ? nil : "expected \(expected)" }
}

/// Fails unless reading `bytes` throws a SafeTensorsError that `check` accepts (returns nil for);
/// `check` returns what it expected otherwise.
func assertRejects(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                   _ check: (SafeTensorsError) -> String?) {
    do {
        let parsed = try SafeTensorsFile(bytes: bytes)
        XCTFail("accepted malformed file with tensors \(parsed.names)", file: file, line: line)
    } catch let error as SafeTensorsError {
        if let expectation = check(error) { XCTFail("\(expectation), got \(error)", file: file, line: line) }
    } catch {
        XCTFail("threw a non-SafeTensorsError: \(error)", file: file, line: line)
    }
}

/// Fails unless `body` throws exactly `expected`.
func assertThrows<T>(_ expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), but nothing was thrown", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? SafeTensorsError, expected, file: file, line: line)
    }
}

/// The tensor's elements as Float bit patterns (so NaN, -0 and Inf compare exactly).
func bitPatterns(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

/// A fresh empty directory under the system temporary directory.
func makeScratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small deterministic generator for test values (64-bit LCG, Knuth's constants).
struct TestLCG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    /// A uniform Float in [-1, 1).
    mutating func nextFloat() -> Float { Float(Int64(bitPattern: next()) >> 40) / Float(1 << 23) }
}

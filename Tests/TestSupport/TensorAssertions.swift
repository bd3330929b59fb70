// Tensor comparisons for tests: the project's relative error max|a−b| / max|b| and an XCTest assertion
// that reports the measured error and both shapes when it fails.

import Foundation
import Tensors
import XCTest

/// max|a−b| / max|b| over all elements (max|a−b| when b is all zeros). Identical elements (equal
/// infinities included) differ by 0; a NaN in either tensor gives NaN; different shapes give infinity.
public func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    guard actual.shape == expected.shape else { return .infinity }
    var maxDifference: Float = 0
    var maxExpected: Float = 0
    var sawNaN = false
    actual.withUnsafeBufferPointer { a in
        expected.withUnsafeBufferPointer { b in
            for index in 0..<b.count {
                let difference = a[index] == b[index] ? 0 : abs(a[index] - b[index])
                if difference.isNaN { sawNaN = true }
                maxDifference = max(maxDifference, difference)
                maxExpected = max(maxExpected, abs(b[index]))
            }
        }
    }
    if sawNaN { return .nan }
    return maxExpected > 0 ? maxDifference / maxExpected : maxDifference
}

/// Fails unless the shapes match and `relativeError(actual, expected) ≤ relativeTolerance`.
public func XCTAssertClose(_ actual: Tensor, _ expected: Tensor, relativeTolerance: Float, _ message: String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shape \(actual.shape) differs from expected \(expected.shape). \(message)", file: file, line: line)
        return
    }
    let error = relativeError(actual, expected)
    if ProcessInfo.processInfo.environment["IMG2IMG_REPORT_ERRORS"] != nil {
        print("parity \(message): relative error \(error) (tolerance \(relativeTolerance))")
    }
    if !(error <= relativeTolerance) {
        XCTFail("relative error \(error) exceeds tolerance \(relativeTolerance) (shape \(actual.shape)). \(message)",
                file: file, line: line)
    }
}

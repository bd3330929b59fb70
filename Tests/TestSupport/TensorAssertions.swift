// The tests' tensor assertion: the project's relative error (`Tensors.relativeError`, max|a−b| / max|b|)
// within a stated tolerance, reporting the measured error and both shapes when it fails.

import Foundation
import Tensors
import XCTest

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

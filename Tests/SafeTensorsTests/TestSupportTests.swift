// The shared test helpers in TestSupport: the relative-error measure and fixture paths.

import Foundation
import Tensors
import TestSupport
import XCTest

final class TestSupportTests: XCTestCase {
    func testRelativeErrorIsMaxDifferenceOverMaxExpected() {
        let expected = Tensor(shape: [3], values: [1, -4, 2])
        let actual = Tensor(shape: [3], values: [1.5, -4, 1])
        XCTAssertEqual(relativeError(actual, expected), 0.25)   // max|a−b| = 1, max|b| = 4
    }

    func testRelativeErrorFlagsShapeMismatchAndNaN() {
        XCTAssertEqual(relativeError(Tensor(zeros: [2]), Tensor(zeros: [1, 2])), .infinity)
        XCTAssertTrue(relativeError(Tensor(shape: [1], values: [.nan]), Tensor(zeros: [1])).isNaN)
    }

    func testFixturesRootIsTheCommittedFixtureDirectory() {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Fixtures.url("generate.py").path), Fixtures.root.path)
    }
}

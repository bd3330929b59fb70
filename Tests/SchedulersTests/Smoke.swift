import XCTest
final class SmokeSchedulersTests: XCTestCase { func testNothing() {} }

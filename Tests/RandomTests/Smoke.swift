import XCTest
final class SmokeRandomTests: XCTestCase { func testNothing() {} }

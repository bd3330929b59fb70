import XCTest
final class SmokeImagesTests: XCTestCase { func testNothing() {} }

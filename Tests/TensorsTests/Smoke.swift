import XCTest
final class SmokeTensorsTests: XCTestCase { func testNothing() {} }

// Each malformed safetensors file is rejected with its own specific error (files built by hand here).

import SafeTensors
import XCTest

final class HeaderValidationTests: XCTestCase {
    private let fourBytes: [UInt8] = [0, 0, 128, 63]  // 1.0 as little-endian F32

    func testFileShorterThanEightBytesIsTooShort() {
        assertRejects([1, 2, 3], with: .fileTooShort(bytes: 3))
    }

    func testHeaderLengthOverLimitIsTooLarge() {
        assertRejects(safetensorsBytes(headerLength: 100_000_001, header: Array("{}".utf8)),
                      with: .headerTooLarge(bytes: 100_000_001, limit: 100_000_000))
    }

    func testHeaderLengthPastEndOfFileIsRejected() {
        assertRejects(safetensorsBytes(headerLength: 50, header: Array("{}".utf8)),
                      with: .headerPastEndOfFile(headerBytes: 50, fileBytes: 10))
    }

    func testHeaderThatIsNotUTF8IsRejected() {
        let header: [UInt8] = [UInt8(ascii: "{"), UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\""), UInt8(ascii: "}")]
        assertRejects(safetensorsBytes(headerLength: UInt64(header.count), header: header), with: .headerNotUTF8)
    }

    func testTruncatedJSONIsNotJSON() {
        assertRejects(safetensorsBytes(header: #"{"w": {"dtype": "F32""#)) {
            if case .headerNotJSON = $0 { return nil } else { return "expected headerNotJSON" }
        }
    }

    func testTrailingCommaIsNotJSON() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}"#,
                                       data: fourBytes)) {
            if case .headerNotJSON = $0 { return nil } else { return "expected headerNotJSON" }
        }
    }

    func testDeeplyNestedJSONIsRejectedWithoutCrashing() {
        let header = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertRejects(safetensorsBytes(header: header)) {
            if case .headerNotJSON = $0 { return nil } else { return "expected headerNotJSON" }
        }
    }

    func testJSONArrayHeaderIsNotAnObject() {
        assertRejects(safetensorsBytes(header: "[1, 2]"), with: .headerNotObject)
    }

    func testEntryThatIsNotAnObjectIsInvalid() {
        assertRejects(safetensorsBytes(header: #"{"w": 5}"#)) { error in
            if case .invalidEntry(name: "w", _) = error { return nil } else { return "expected invalidEntry(w)" }
        }
    }

    func testEntryMissingDtypeIsInvalid() {
        assertRejects(safetensorsBytes(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: fourBytes),
                      with: .invalidEntry(name: "w", reason: "missing field \"dtype\""))
    }

    func testEntryMissingShapeIsInvalid() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: fourBytes),
                      with: .invalidEntry(name: "w", reason: "missing field \"shape\""))
    }

    func testEntryMissingDataOffsetsIsInvalid() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: fourBytes),
                      with: .invalidEntry(name: "w", reason: "missing field \"data_offsets\""))
    }

    func testEntryWithWrongFieldTypesIsInvalid() {
        let headers = [
            #"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}"#,
            #"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
        ]
        for header in headers {
            assertRejects(safetensorsBytes(header: header, data: fourBytes)) { error in
                if case .invalidEntry(name: "w", _) = error { return nil } else { return "expected invalidEntry(w) for \(header)" }
            }
        }
    }

    func testUnknownDtypeIsRejected() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, data: fourBytes),
                      with: .unknownDtype(name: "w", dtype: "F12"))
    }

    func testByteRangeLongerThanShapeNeedsIsSizeMismatch() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}}"#, data: fourBytes),
                      with: .sizeMismatch(name: "w", dtype: .f16, shape: [1], expectedBytes: 2, actualBytes: 4))
    }

    func testSubByteDtypeWithOddElementCountIsPartialByte() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0]),
                      with: .partialByte(name: "w", dtype: .f4, shape: [3]))
    }

    func testOffsetsEndingPastDataSectionAreOutOfBounds() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: fourBytes),
                      with: .offsetsOutOfBounds(name: "w", begin: 0, end: 8, dataBytes: 4))
    }

    func testOffsetsBeginningAfterTheirEndAreOutOfBounds() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: fourBytes),
                      with: .offsetsOutOfBounds(name: "w", begin: 4, end: 0, dataBytes: 4))
    }

    func testOverlappingRangesAreRejected() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertRejects(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 12)),
                      with: .overlappingRanges(first: "a", second: "b"))
    }

    func testHoleBetweenTensorsIsUncovered() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertRejects(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 12)), with: .uncoveredBytes(4..<8))
    }

    func testHoleBeforeFirstTensorIsUncovered() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertRejects(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), with: .uncoveredBytes(0..<4))
    }

    func testTrailingBytesAfterLastTensorAreUncovered() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertRejects(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 6)), with: .uncoveredBytes(4..<6))
    }

    func testDuplicateTensorNameIsRejected() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertRejects(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), with: .duplicateTensorName("w"))
    }

    func testNegativeExtentIsRejected() {
        assertRejects(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,4]}}"#, data: fourBytes),
                      with: .negativeExtent(name: "w", shape: [-1, -4]))
    }

    func testElementCountOverflowIsRejected() {
        let header = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#
        assertRejects(safetensorsBytes(header: header, data: fourBytes),
                      with: .elementCountOverflow(name: "w", shape: [4_294_967_296, 4_294_967_296]))
    }

    func testByteCountOverflowIsRejected() {
        let header = #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#
        assertRejects(safetensorsBytes(header: header, data: fourBytes),
                      with: .elementCountOverflow(name: "w", shape: [2_305_843_009_213_693_952]))
    }

    func testMetadataWithNonStringValueIsInvalid() {
        assertRejects(safetensorsBytes(header: #"{"__metadata__":{"epochs":3}}"#)) { error in
            if case .invalidMetadata = error { return nil } else { return "expected invalidMetadata" }
        }
    }

    func testEmptyHeaderWithNoDataIsAValidEmptyFile() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{}  "))
        XCTAssertEqual(file.names, [])
        XCTAssertEqual(file.metadata, [:])
    }

    func testZeroSizedTensorsMayShareAnOffset() throws {
        let header = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F16","shape":[2,0],"data_offsets":[4,4]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: fourBytes))
        XCTAssertEqual(file.names, ["a", "b", "c"])
        XCTAssertEqual(try file.tensor("c").shape, [2, 0])
    }

    func testErrorMessageNamesTensorAndSizes() {
        let message = SafeTensorsError.sizeMismatch(name: "unet.conv.weight", dtype: .f16, shape: [3, 4],
                                                    expectedBytes: 24, actualBytes: 20).description
        for part in ["unet.conv.weight", "F16", "[3, 4]", "24", "20"] {
            XCTAssertTrue(message.contains(part), "message \"\(message)\" lacks \(part)")
        }
    }
}

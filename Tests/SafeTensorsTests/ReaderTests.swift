// Reading valid files: mapping from disk, lookups, raw bytes, widening of each supported dtype,
// and the errors for missing tensors, unsupported dtypes and unreadable paths.

import Foundation
import SafeTensors
import Tensors
import XCTest

final class ReaderTests: XCTestCase {
    private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    func testF64I64AndI32WidenToFloat() throws {
        let f64 = littleEndianBytes([(-1.5).bitPattern, (0.25 as Double).bitPattern] as [UInt64])
        let i64 = littleEndianBytes([Int64(-7), Int64(1 << 40)])
        let i32 = littleEndianBytes([Int32(-3), Int32(123_456)])
        let header = #"{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"#
            + #""l":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},"i":{"dtype":"I32","shape":[2],"data_offsets":[32,40]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: f64 + i64 + i32))
        XCTAssertEqual(try file.tensor("d").scalars, [-1.5, 0.25])
        XCTAssertEqual(try file.tensor("l").scalars, [-7, 1_099_511_627_776])
        XCTAssertEqual(try file.tensor("i").scalars, [-3, 123_456])
    }

    func testUnalignedF16TensorWidensCorrectly() throws {
        // A 1-byte U8 tensor first puts the F16 data at an odd offset.
        let header = #"{"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"h":{"dtype":"F16","shape":[2],"data_offsets":[1,5]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [9, 0x00, 0x3C, 0x00, 0xC0]))
        XCTAssertEqual(try file.tensor("h").scalars, [1, -2])
    }

    func testUnsupportedDtypeCannotBeReadAsFloat() throws {
        let header = #"{"u":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [1, 2]))
        assertThrows(.unsupportedDtype(name: "u", dtype: .u8)) { try file.tensor("u") }
    }

    func testRawBytesAreTheTensorsBytes() throws {
        let header = #"{"u":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"h":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [1, 2, 0x80, 0x3F]))
        XCTAssertEqual(Array(try file.rawBytes("h")), [0x80, 0x3F])
        XCTAssertEqual(file.info("h"), SafeTensorsTensorInfo(dtype: .bf16, shape: [1], byteRange: 2..<4))
    }

    func testNamesAreSortedByUTF8Bytes() throws {
        let header = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"B":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a.1":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [1, 2, 3]))
        XCTAssertEqual(file.names, ["B", "a.1", "b"])
    }

    func testMissingTensorIsTensorNotFound() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{}"))
        assertThrows(.tensorNotFound("nope")) { try file.tensor("nope") }
        assertThrows(.tensorNotFound("nope")) { try file.rawBytes("nope") }
        XCTAssertNil(file.info("nope"))
    }

    func testMetadataIsReadable() throws {
        let header = #"{"__metadata__":{"format":"pt","note":"caf\u00e9 \"quoted\""}}"#
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header))
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "café \"quoted\""])
        XCTAssertEqual(file.names, [])
    }

    func testMissingFileCannotBeOpened() {
        let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            guard case .cannotOpen(path: "/nonexistent/model.safetensors", _)? = error as? SafeTensorsError else {
                return XCTFail("expected cannotOpen, got \(error)")
            }
        }
    }

    func testDirectoryCannotBeOpened() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: directory)) { error in
            guard case .cannotOpen? = error as? SafeTensorsError else { return XCTFail("expected cannotOpen, got \(error)") }
        }
    }

    func testEmptyFileOnDiskIsTooShort() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("empty.safetensors")
        try Data().write(to: url)
        assertThrows(.fileTooShort(bytes: 0)) { try SafeTensorsFile(contentsOf: url) }
    }
}

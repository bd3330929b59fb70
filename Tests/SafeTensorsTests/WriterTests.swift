// The writer: what it writes reads back (F32 exactly, F16/BF16 within their rounding), its layout follows
// the official library (8-byte-aligned header, sorted names), and it refuses what it cannot store.

import Foundation
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class WriterTests: XCTestCase {
    private func sampleTensors(seed: UInt64) -> [(name: String, tensor: Tensor)] {
        var generator = TestLCG(seed: seed)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<Tensor.elementCount(of: shape)).map { _ in generator.nextFloat() * 3 })
        }
        return [("z.weight", random([3, 4, 2])), ("a.bias", random([5])), ("scalar", Tensor(shape: [], values: [0.75])),
                ("empty", Tensor(zeros: [2, 0])), ("m", random([1, 7]))]
    }

    func testF32RoundTripIsExact() throws {
        let tensors = sampleTensors(seed: 1)
        let file = try SafeTensorsFile(bytes: try SafeTensorsWriter.serialize(tensors))
        XCTAssertEqual(file.names, ["a.bias", "empty", "m", "scalar", "z.weight"])
        for (name, tensor) in tensors {
            let read = try file.tensor(name)
            XCTAssertEqual(read.shape, tensor.shape, name)
            XCTAssertEqual(bitPatterns(read), bitPatterns(tensor), name)
            XCTAssertEqual(file.info(name)?.dtype, .f32)
        }
    }

    func testF16RoundTripIsWithinHalfAnUlp() throws {
        try assertNarrowedRoundTrip(dtype: .f16, relativeTolerance: 0x1p-11)
    }

    func testBF16RoundTripIsWithinHalfAnUlp() throws {
        try assertNarrowedRoundTrip(dtype: .bf16, relativeTolerance: 0x1p-8)
    }

    /// Each element read back is within `relativeTolerance` of itself (the rounding bound), and shapes survive.
    private func assertNarrowedRoundTrip(dtype: SafeTensorsDType, relativeTolerance: Float) throws {
        let tensors = sampleTensors(seed: 2)
        let file = try SafeTensorsFile(bytes: try SafeTensorsWriter.serialize(tensors, dtype: dtype))
        for (name, tensor) in tensors {
            let read = try file.tensor(name)
            XCTAssertEqual(read.shape, tensor.shape, name)
            XCTAssertEqual(file.info(name)?.dtype, dtype)
            for (got, want) in zip(read.scalars, tensor.scalars) {
                XCTAssertLessThanOrEqual(abs(got - want), abs(want) * relativeTolerance, "\(name): \(got) vs \(want)")
            }
        }
    }

    func testExactlyRepresentableValuesRoundTripExactlyInAllDtypes() throws {
        let values: [Float] = [0, -0.0, 1, -2.5, 0.15625, 1024, .infinity, -.infinity]
        for dtype in [SafeTensorsDType.f32, .f16, .bf16] {
            let bytes = try SafeTensorsWriter.serialize([("v", Tensor(shape: [8], values: values))], dtype: dtype)
            let read = try SafeTensorsFile(bytes: bytes).tensor("v")
            XCTAssertEqual(bitPatterns(read), values.map(\.bitPattern), dtype.rawValue)
        }
    }

    func testMetadataRoundTrips() throws {
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\" \\ café \u{1}"]
        let bytes = try SafeTensorsWriter.serialize([("w", Tensor(zeros: [1]))], metadata: metadata)
        XCTAssertEqual(try SafeTensorsFile(bytes: bytes).metadata, metadata)
    }

    func testHeaderIsPaddedToAMultipleOfEightBytes() throws {
        for nameLength in 1...8 {
            let bytes = try SafeTensorsWriter.serialize([(String(repeating: "n", count: nameLength), Tensor(zeros: [1]))])
            let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual(headerLength % 8, 0, "header length \(headerLength) for a \(nameLength)-byte name")
        }
    }

    func testWriteToFileMatchesSerializeAndReadsBackThroughMmap() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("weights.safetensors")
        let tensors = sampleTensors(seed: 3)
        try SafeTensorsWriter.write(tensors, to: url, dtype: .f16, metadata: ["k": "v"])
        XCTAssertEqual([UInt8](try Data(contentsOf: url)),
                       try SafeTensorsWriter.serialize(tensors, dtype: .f16, metadata: ["k": "v"]))
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertClose(try file.tensor("z.weight"), tensors[0].tensor, relativeTolerance: 0x1p-11)
    }

    func testUnsupportedOutputDtypeIsRefused() {
        assertThrows(.writerUnsupportedDtype(.f64)) { try SafeTensorsWriter.serialize([("w", Tensor(zeros: [1]))], dtype: .f64) }
    }

    func testDuplicateAndReservedNamesAreRefused() {
        assertThrows(.writerInvalidName("w", reason: "the name appears twice")) {
            try SafeTensorsWriter.serialize([("w", Tensor(zeros: [1])), ("w", Tensor(zeros: [2]))])
        }
        assertThrows(.writerInvalidName("__metadata__", reason: "the name is reserved for metadata")) {
            try SafeTensorsWriter.serialize([("__metadata__", Tensor(zeros: [1]))])
        }
    }
}

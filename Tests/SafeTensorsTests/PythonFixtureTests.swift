// Files written by the official Python library (Tests/Fixtures/gen_safetensors.py): the reader widens them
// exactly as torch does, and the writer reproduces torch's narrowing and the library's bytes.

import Foundation
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class PythonFixtureTests: XCTestCase {
    func testF16BF16AndF32TensorsWidenBitExactlyLikeTorch() throws {
        let file = try SafeTensorsFile(contentsOf: Fixtures.url("safetensors/specials.safetensors"))
        let expected = try Fixtures.tensors("safetensors/specials_expected.safetensors")
        XCTAssertEqual(file.names, expected.keys.sorted())
        for name in file.names {
            let read = try file.tensor(name)
            guard let want = expected[name] else { XCTFail("no expected values for \(name)"); continue }
            XCTAssertEqual(read.shape, want.shape, name)
            XCTAssertEqual(bitPatterns(read), bitPatterns(want), name)
        }
    }

    func testFixtureHeaderDescribesScalarAndEmptyTensors() throws {
        let file = try SafeTensorsFile(contentsOf: Fixtures.url("safetensors/specials.safetensors"))
        XCTAssertEqual(file.info("f16.scalar")?.shape, [])
        XCTAssertEqual(file.info("f16.scalar")?.dtype, .f16)
        XCTAssertEqual(file.info("bf16.empty")?.shape, [2, 0, 3])
        XCTAssertEqual(file.info("bf16.empty")?.byteRange.count, 0)
        XCTAssertEqual(try file.tensor("f32.scalar").scalars, [7.25])
    }

    func testFixtureMetadataIsRead() throws {
        let file = try SafeTensorsFile(contentsOf: Fixtures.url("safetensors/specials.safetensors"))
        XCTAssertEqual(file.metadata, ["note": "widening fixture"])
    }

    func testWriterReproducesPythonF32Bytes() throws { try assertWriterMatchesPython(.f32, "narrowed_f32") }
    func testWriterReproducesTorchF16NarrowingAndPythonBytes() throws { try assertWriterMatchesPython(.f16, "narrowed_f16") }
    func testWriterReproducesTorchBF16NarrowingAndPythonBytes() throws { try assertWriterMatchesPython(.bf16, "narrowed_bf16") }

    /// Writing the F32 source as `dtype` gives exactly the bytes Python wrote after torch's cast.
    private func assertWriterMatchesPython(_ dtype: SafeTensorsDType, _ fixture: String,
                                           file: StaticString = #filePath, line: UInt = #line) throws {
        let source = try SafeTensorsFile(contentsOf: Fixtures.url("safetensors/narrowing_source.safetensors"))
        let tensors = try source.names.map { (name: $0, tensor: try source.tensor($0)) }
        let written = try SafeTensorsWriter.serialize(tensors, dtype: dtype, metadata: ["format": "pt"])
        let python = [UInt8](try Data(contentsOf: Fixtures.url("safetensors/\(fixture).safetensors")))
        guard written != python else { return }
        let common = min(written.count, python.count)
        let firstDifference = (0..<common).first { written[$0] != python[$0] } ?? common
        XCTFail("bytes differ from Python's \(fixture) at offset \(firstDifference) (sizes \(written.count) vs \(python.count))",
                file: file, line: line)
    }
}

// Layer weights read from checkpoint files: F16 stays half precision (in place in the mapping, or copied when
// misaligned), other dtypes are widened; releasing a mapping's resident pages leaves every value readable.

import Foundation
import SafeTensors
import Tensors
import XCTest

final class LayerWeightReadingTests: XCTestCase {
    let values: [Float] = [1, -2.5, 0.099975586, 65504, -6.1035156e-05, 0.33325195]

    func writeFile(dtype: SafeTensorsDType) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("layer-weight-\(dtype.rawValue)-\(UUID().uuidString).safetensors")
        try SafeTensorsWriter.write([("w", Tensor(shape: [2, 3], values: values))], to: url, dtype: dtype)
        return url
    }

    func testF16LayerWeightStaysHalfAndHoldsTheFilesValues() throws {
        let url = try writeFile(dtype: .f16)
        defer { try? FileManager.default.removeItem(at: url) }
        let weight = try SafeTensorsFile(contentsOf: url).layerWeight("w")
        XCTAssertTrue(weight.isHalf)
        XCTAssertEqual(weight.shape, [2, 3])
        XCTAssertEqual(weight.floatTensor.scalars, values)
    }

    func testF32LayerWeightIsWidenedToFloat() throws {
        let url = try writeFile(dtype: .f32)
        defer { try? FileManager.default.removeItem(at: url) }
        let weight = try SafeTensorsFile(contentsOf: url).layerWeight("w")
        XCTAssertFalse(weight.isHalf)
        XCTAssertEqual(weight.floatTensor.scalars, values)
    }

    func testMisalignedF16LayerWeightIsCopied() throws {
        // One F16 value before "w" puts it at an odd byte offset of the data section.
        let header = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"F16","shape":[2],"data_offsets":[1,5]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: padded, data: [7, 0x00, 0x3C, 0x00, 0xC0]))
        let weight = try file.layerWeight("w")
        XCTAssertTrue(weight.isHalf)
        XCTAssertEqual(weight.floatTensor.scalars, [1, -2])
    }

    func testValuesSurviveReleasingTheResidentPages() throws {
        let url = try writeFile(dtype: .f16)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(contentsOf: url)
        let weight = try file.layerWeight("w")
        XCTAssertEqual(weight.floatTensor.scalars, values)
        file.releaseResidentPages()
        XCTAssertEqual(weight.floatTensor.scalars, values, "read again after the pages left the resident set")
    }
}

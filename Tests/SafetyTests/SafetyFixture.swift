// The committed safety-checker fixtures (Tests/Fixtures/safety, from gen_safety.py): input PNGs, the crops
// and outputs of transformers / diffusers, and expected.json's flags and scores.

import Foundation
import Images
import SafeTensors
import Tensors
import TestSupport

/// expected.json of the safety fixtures.
struct ExpectedSafety: Decodable {
    struct RunnerScores: Decodable {
        let concept_scores: [Double], special_scores: [Double]
        let concept_raw: [Double], special_raw: [Double]
        let nsfw: Bool, special_care: Bool
    }
    struct Precision: Decodable {
        let nsfw: [Bool]
        let runner: [RunnerScores]
    }
    struct PaddedCrop: Decodable {
        let width: Int, height: Int
        let pixels: [UInt8], crop: [UInt8]
    }
    let images: [String]
    let f32: Precision
    let f16: Precision
    let padded_crops: [PaddedCrop]
    let numpy_round_cases: [[Double]]
}

enum SafetyFixture {
    static let folder = Fixtures.url("safety")
    static let checkerFolder = folder.appendingPathComponent("checker")

    static func expected() throws -> ExpectedSafety {
        try JSONDecoder().decode(ExpectedSafety.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    static func tensors() throws -> [String: Tensor] {
        try Fixtures.tensors("safety/expected.safetensors")
    }

    static func png(_ relativePath: String) throws -> RGBImage {
        try ImageDecoder.decode(Data(contentsOf: folder.appendingPathComponent(relativePath)))
    }

    /// Every input image, in fixture order.
    static func images() throws -> [RGBImage] {
        try expected().images.map { try png("images/\($0).png") }
    }

    /// transformers' 224×224 crop of input `index`.
    static func crop(_ index: Int) throws -> RGBImage {
        try png(String(format: "crops/%02d.png", index))
    }

    /// A scratch folder holding copies of the checker files named in `files`.
    static func scratchCopy(of files: [String]) throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("safety-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.copyItem(at: checkerFolder.appendingPathComponent(file),
                                             to: scratch.appendingPathComponent(file))
        }
        return scratch
    }
}

/// Rows `[B, C, H, W]` → every `step`-th row and column, as the fixture stores `pixel_values[:, :, ::16, ::16]`.
func subsampled(_ x: Tensor, step: Int) -> Tensor {
    let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let rows = stride(from: 0, to: h, by: step).map { $0 }, columns = stride(from: 0, to: w, by: step).map { $0 }
    var values: [Float] = []
    let all = x.scalars
    for n in 0..<b { for k in 0..<c { for y in rows { for xx in columns { values.append(all[((n * c + k) * h + y) * w + xx]) } } } }
    return Tensor(shape: [b, c, rows.count, columns.count], values: values)
}

/// Prints a measured error when IMG2IMG_REPORT_ERRORS is set (as `XCTAssertClose` does).
func reportParity(_ label: String, _ error: Float, tolerance: Float) {
    if ProcessInfo.processInfo.environment["IMG2IMG_REPORT_ERRORS"] != nil {
        print("parity \(label): max |Δ| \(error) (tolerance \(tolerance))")
    }
}

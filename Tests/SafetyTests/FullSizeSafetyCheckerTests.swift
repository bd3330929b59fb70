import Foundation
import Images
import SafeTensors
import Safety
import Tensors
import TestSupport
import XCTest

/// The full-size (ViT-L/14) random checker that Benchmarks/make_fullsize_safety_checker.py writes, against torch:
/// pixel values ≤ 1e-5 absolute, image embeddings ≤ 1e-4 relative, cosines ≤ 1e-5 absolute, flags identical.
/// Runs only when IMG2IMG_FULLSIZE_SAFETY_DIR names that folder (it is about 1.2 GB, never committed).
final class FullSizeSafetyCheckerTests: XCTestCase {
    func testFullSizeCheckerMatchesTorch() throws {
        guard let path = ProcessInfo.processInfo.environment["IMG2IMG_FULLSIZE_SAFETY_DIR"] else {
            throw XCTSkip("set IMG2IMG_FULLSIZE_SAFETY_DIR to a folder from make_fullsize_safety_checker.py")
        }
        let folder = URL(fileURLWithPath: path)
        let expected = try loadSafeTensors(folder.appendingPathComponent("expected.safetensors"))
        let flags = try JSONDecoder().decode([String: [Bool]].self,
                                             from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let checker = try SafetyChecker(directory: folder)
        let count = expected["pixel_values"]!.shape[0]
        let images = try (0..<count).map {
            try ImageDecoder.decode(Data(contentsOf: folder.appendingPathComponent(String(format: "inputs/%02d.png", $0))))
        }
        let pixelValues = try checker.pixelValues(images)
        let pixelError = maxAbsoluteDifference(pixelValues, expected["pixel_values"]!)
        reportParity("full-size pixel values", pixelError, tolerance: 1e-5)
        XCTAssertLessThanOrEqual(pixelError, 1e-5, "pixel values max |Δ| = \(pixelError)")
        let start = Date()
        let results = try checker.check(images)
        let seconds = Date().timeIntervalSince(start)
        let torchSeconds = Double(expected["torch_seconds"]!.scalars[0])
        print("full-size safety checker: \(String(format: "%.2f", seconds)) s for \(count) images "
              + "(torch \(String(format: "%.2f", torchSeconds)) s)")
        let embeddings = Tensor(shape: [count, results[0].imageEmbedding.count], values: results.flatMap(\.imageEmbedding))
        XCTAssertClose(embeddings, expected["image_embeds"]!, relativeTolerance: 1e-4, "full-size image_embeds")
        let cosines = Tensor(shape: [count, 17], values: results.flatMap(\.conceptCosines))
        let cosineError = maxAbsoluteDifference(cosines, expected["concept_cos"]!)
        reportParity("full-size concept cosines", cosineError, tolerance: 1e-5)
        XCTAssertLessThanOrEqual(cosineError, 1e-5, "concept cosines max |Δ| = \(cosineError)")
        XCTAssertEqual(results.map(\.nsfw), flags["nsfw"])
    }
}

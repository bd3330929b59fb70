import Foundation
import Images
import Pipelines
import Safety
import TestSupport
import XCTest

/// The service around the pipeline: seeds `seed + i`, the checker's verdict per image, blackout on request,
/// and no checker run when `safety_check` is false.
final class ImageToImageServiceTests: XCTestCase {
    let model = Fixtures.url("pipelines/models/sd1")
    let checkerFolder = Fixtures.url("safety/checker")

    func request() -> GenerationRequest {
        var request = GenerationRequest(prompt: "a red fox")
        request.numInferenceSteps = 2
        request.strength = 1
        request.seed = 41
        request.numImagesPerPrompt = 2
        return request
    }

    func input() throws -> RGBImage {
        try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
    }

    func testImagesCarryConsecutiveSeedsAndTheCheckersVerdict() throws {
        let checker = try SafetyChecker(directory: checkerFolder)
        let service = ImageToImageService(pipeline: try PipelineLoader.load(folder: model, modelID: "sd1"),
                                          safetyChecker: checker)
        let results = try service.run(image: try input(), request: service.resolve(request()))
        XCTAssertEqual(results.map(\.seed), [41, 42])
        XCTAssertEqual(results.map(\.nsfw), try checker.check(results.map(\.image)).map(\.nsfw))
    }

    func testSafetyCheckFalseReportsNoNSFWWithoutRunningTheChecker() throws {
        let service = ImageToImageService(pipeline: try PipelineLoader.load(folder: model, modelID: "sd1"),
                                          safetyChecker: try SafetyChecker(directory: checkerFolder))
        var unchecked = request()
        unchecked.safetyCheck = false
        XCTAssertEqual(try service.run(image: try input(), request: service.resolve(unchecked)).map(\.nsfw), [false, false])
    }

    func testMissingCheckerStopsStartUpWithHowToDisable() {
        let store = ModelStore(root: "/nonexistent-model-root")
        XCTAssertThrowsError(try SafetyCheckerLocator.load(option: nil, modelFolder: nil, store: store)) { error in
            XCTAssertTrue("\(error)".contains("--safety-checker none"), "\(error)")
        }
        XCTAssertNil(try SafetyCheckerLocator.load(option: "none", modelFolder: nil, store: store))
    }

    func testBundledModelUsesItsOwnChecker() throws {
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("weights/tiny-sd")
        XCTAssertNotNil(try SafetyCheckerLocator.load(option: nil, modelFolder: bundled, store: ModelStore(root: "/nonexistent")))
    }
}

// What `img2img verify` sends and reads apart from HTTP: the form's fields from a request, a JSON request file
// (fields applied over the API's defaults, unknown or mistyped fields refused by name), and the runner's error
// text from each shape of error body it answers with.

import Foundation
import Pipelines
import Verification
import XCTest

final class VerifyRequestTests: XCTestCase {
    private func file(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("request-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testTextFieldsUseTheAPINamesAndOmitAnAbsentSeed() {
        var fields = GenerationRequest(prompt: "a fox")
        fields.strength = 0.3
        let request = RunnerRequest(fields: fields, modelID: "org/model", imageBytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(request.textFields.map { "\($0.name)=\($0.value)" }, [
            "prompt=a fox", "model_id=org/model", "loras=", "strength=0.3", "guidance_scale=7.5",
            "image_guidance_scale=1.5", "negative_prompt=", "safety_check=true", "num_inference_steps=100",
            "num_images_per_prompt=1",
        ])
        XCTAssertEqual(request.imageContentType, "image/png")
        fields.seed = 18_446_744_073_709_551_615
        XCTAssertTrue(RunnerRequest(fields: fields, imageBytes: []).textFields.contains {
            $0.name == "seed" && $0.value == "18446744073709551615"
        })
    }

    func testARequestFileSetsTheFieldsItGives() throws {
        let requestFile = try RequestFile(path: file("""
            {"prompt": "a fox", "strength": 0.25, "guidance_scale": 3, "num_inference_steps": 20, "seed": 42,
             "num_images_per_prompt": 2, "safety_check": false, "model_id": "org/model",
             "loras": {"org/b": 0.5, "org/a": 1}}
            """))
        var fields = GenerationRequest(prompt: "")
        try requestFile.apply(to: &fields)
        XCTAssertEqual(fields.prompt, "a fox")
        XCTAssertEqual(fields.strength, 0.25)
        XCTAssertEqual(fields.guidanceScale, 3)
        XCTAssertEqual(fields.imageGuidanceScale, 1.5, "an absent field keeps the API's default")
        XCTAssertEqual(fields.numInferenceSteps, 20)
        XCTAssertEqual(fields.seed, 42)
        XCTAssertEqual(fields.numImagesPerPrompt, 2)
        XCTAssertFalse(fields.safetyCheck)
        XCTAssertEqual(fields.loras, #"{"org/a":1,"org/b":0.5}"#)
        XCTAssertEqual(try requestFile.modelID, "org/model")
    }

    func testAnUnknownFieldIsRefusedByName() throws {
        let path = try file(#"{"prompt": "x", "num_steps": 4}"#)
        XCTAssertThrowsError(try RequestFile(path: path)) { error in
            XCTAssertTrue("\(error)".contains("unknown field \"num_steps\""), "\(error)")
        }
    }

    func testAMistypedFieldIsRefusedByName() throws {
        let requestFile = try RequestFile(path: file(#"{"prompt": "x", "num_inference_steps": 4.5}"#))
        var fields = GenerationRequest(prompt: "")
        XCTAssertThrowsError(try requestFile.apply(to: &fields)) { error in
            XCTAssertTrue("\(error)".hasSuffix("\"num_inference_steps\" must be an integer"), "\(error)")
        }
    }

    func testTheRunnersErrorTextIsReadFromEachShape() {
        func message(_ body: String) -> String { RunnerAnswer.errorMessage(body: Array(body.utf8)) }
        XCTAssertEqual(message(#"{"detail":{"msg":"Invalid bearer token."}}"#), "Invalid bearer token.")
        XCTAssertEqual(message(#"{"detail":"Not Found"}"#), "Not Found")
        XCTAssertEqual(message(#"{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"Field required","input":null}]}"#),
                       "body.prompt: Field required")
        XCTAssertEqual(message("Bad Gateway"), "Bad Gateway")
        XCTAssertEqual(message(""), "an empty body")
    }
}

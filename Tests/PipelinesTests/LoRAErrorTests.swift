import Foundation
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

/// Each of the runner's LoRA error texts, and the refusals of files this engine cannot use.
final class LoRAErrorTests: XCTestCase {
    func assertError(_ expected: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is LoRAError, "\(type(of: error)): \(error)", file: file, line: line)
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    func testInvalidJSONIsTheRunnersParseError() {
        assertError("Unable to parse '{\"a\": 1' as JSON.") { _ = try LoRASelection.parse("{\"a\": 1") }
    }

    func testJSONThatIsNotAnObjectIsAParseError() {
        assertError("Unable to parse '[1, 2]' as JSON.") { _ = try LoRASelection.parse("[1, 2]") }
    }

    func testNegativeStrengthIsRefused() {
        assertError("All strengths must be numbers greater than or equal to 0.0.") {
            _ = try LoRASelection.parse("{\"a/b\": -0.5}")
        }
    }

    func testNonNumericStrengthsAreRefused() {
        for json in ["{\"a\": \"strong\"}", "{\"a\": null}", "{\"a\": [1]}", "{\"a\": {\"b\": 1}}", "{\"a\": \"nan\"}"] {
            assertError("All strengths must be numbers greater than or equal to 0.0.") { _ = try LoRASelection.parse(json) }
        }
    }

    func testBadStrengthIsReportedBeforeTooMany() {
        let json = "{\"a\": 1, \"b\": 1, \"c\": 1, \"d\": 1, \"e\": -1}"
        assertError("All strengths must be numbers greater than or equal to 0.0.") { _ = try LoRASelection.parse(json) }
    }

    func testMoreThanFourLoRAsAreRefused() {
        let json = "{\"a\": 1, \"b\": 1, \"c\": 1, \"d\": 1, \"e\": 1}"
        assertError("Too many LoRas provided. Maximum is 4.") { _ = try LoRASelection.parse(json) }
    }

    func testTooManyInARequestBuiltInCodeIsRefusedByGenerate() throws {
        let pipeline = try LoRACase.pipeline()
        var request = try RunnerContract.resolve(LoRACase.named("base").request, for: pipeline.profile)
        request.loras = ["a": 1, "b": 1, "c": 1, "d": 1, "e": 1]
        assertError("Too many LoRas provided. Maximum is 4.") {
            _ = try pipeline.generate(image: try LoRACase.input(), request: request, options: GenerationOptions())
        }
    }

    func testUnknownIDIsRepositoryNotFound() throws {
        let pipeline = try LoRACase.pipeline()
        assertError("LoRa repository 'test/missing' not found") { _ = try pipeline.components.loraBinding(for: ["test/missing": 1]) }
    }

    func testLoRAForMissingLayersIsIncompatible() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 16, in: 16, rank: 2)
        try root.write("other/model", ["unet.down_blocks.7.attentions.0.proj_in.lora_A.weight": down,
                                       "unet.down_blocks.7.attentions.0.proj_in.lora_B.weight": up])
        let pipeline = try LoRACase.pipeline(library: root.library())
        assertError("LoRa incompatible with base model: 'sd1'") { _ = try pipeline.components.loraBinding(for: ["other/model": 1]) }
    }

    func testLoRAWithOtherShapesIsIncompatibleAndNamesTheLayer() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 320, in: 320, rank: 2)
        let layer = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"
        try root.write("sd15/style", ["unet.\(layer).lora_A.weight": down, "unet.\(layer).lora_B.weight": up])
        let pipeline = try LoRACase.pipeline(library: root.library())
        XCTAssertThrowsError(try pipeline.components.loraBinding(for: ["sd15/style": 0.5])) { error in
            XCTAssertEqual("\(error)", "LoRa incompatible with base model: 'sd1'")
            XCTAssertTrue((error as? LoRAError)?.details?.contains("unet layer \(layer) has weight [16, 16]") == true,
                          (error as? LoRAError)?.details ?? "no details")
        }
    }

    func testFolderWithSeveralWeightFilesNamesThem() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 16, in: 16, rank: 2)
        let tensors = ["unet.conv_in.lora_A.weight": down, "unet.conv_in.lora_B.weight": up]
        try root.write("two/files", tensors, fileName: "a.safetensors")
        try root.write("two/files", tensors, fileName: "b.safetensors")
        XCTAssertThrowsError(try root.library().load("two/files")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("Unable to load LoRas for adapter 'two/files': several .safetensors files"), text)
            XCTAssertTrue(text.contains("a.safetensors, b.safetensors"), text)
        }
    }

    func testFolderWithoutWeightsIsUnloadable() throws {
        let root = try ScratchLoRARoot()
        try FileManager.default.createDirectory(at: root.url.appendingPathComponent("empty/lora"),
                                                withIntermediateDirectories: true)
        XCTAssertThrowsError(try root.library().load("empty/lora")) { error in
            XCTAssertTrue("\(error)".hasPrefix("Unable to load LoRas for adapter 'empty/lora': no .safetensors file"), "\(error)")
        }
    }

    func testDoRAIsRefusedByName() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 16, in: 16, rank: 2)
        try root.write("dora/lora", ["lora_unet_conv_in.lora_down.weight": down, "lora_unet_conv_in.lora_up.weight": up,
                                     "lora_unet_conv_in.dora_scale": Tensor(zeros: [16, 1])])
        XCTAssertThrowsError(try root.library().load("dora/lora")) { error in
            XCTAssertEqual("\(error)", "Unable to load LoRas for adapter 'dora/lora': DoRA adapters (dora_scale / lora_magnitude_vector) are not supported")
        }
    }

    func testUnknownKeysAreRefusedNotDropped() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 16, in: 16, rank: 2)
        try root.write("loha/lora", ["lora_unet_conv_in.hada_w1_a": down, "lora_unet_conv_in.hada_w1_b": up])
        XCTAssertThrowsError(try root.library().load("loha/lora")) { error in
            XCTAssertTrue("\(error)".contains("unsupported keys: lora_unet_conv_in.hada_w1_a"), "\(error)")
        }
    }

    func testIDsThatLeaveTheModelRootAreRefused() throws {
        let library = try ScratchLoRARoot().library()
        for id in ["../outside", "/etc/passwd", "a/../../b", "a\\b"] {
            XCTAssertThrowsError(try library.load(id), id) { error in
                XCTAssertTrue("\(error)".hasPrefix("Unable to load LoRas for adapter '\(id)': invalid model id"), "\(error)")
            }
        }
    }
}

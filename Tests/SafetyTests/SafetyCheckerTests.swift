import Foundation
import Images
import Models
import SafeTensors
import Safety
import Tensors
import TestSupport
import XCTest

/// The safety checker against diffusers' `StableDiffusionSafetyChecker` on a tiny random checker (fixtures from
/// gen_safety.py), for float32 pixel values and float16-rounded ones (the runner's): pooled output and image
/// embeddings ≤ 1e-4 relative, cosines ≤ 1e-5 absolute, 3-decimal scores equal to the runner's arithmetic
/// (wherever the reference lies farther than 1e-6 from a rounding tie), NSFW flags identical.
final class SafetyCheckerTests: XCTestCase {
    static let expected = Result { try SafetyFixture.expected() }
    static let tensors = Result { try SafetyFixture.tensors() }
    static let images = Result { try SafetyFixture.images() }

    func checker(_ precision: PixelValuePrecision) throws -> SafetyChecker {
        try SafetyChecker(directory: SafetyFixture.checkerFolder, precision: precision)
    }

    func results(_ precision: PixelValuePrecision) throws -> [SafetyResult] {
        try checker(precision).check(try Self.images.get())
    }

    func matrix(_ rows: [[Float]]) -> Tensor {
        Tensor(shape: [rows.count, rows.first?.count ?? 0], values: rows.flatMap { $0 })
    }

    func testPooledOutputMatchesTransformers() throws {
        let checker = try checker(.float32)
        let pooled = checker.model.visionModel(try checker.pixelValues(try Self.images.get())).pooled
        XCTAssertClose(pooled, try Self.tensors.get()["pooled_f32"]!, relativeTolerance: 1e-4, "pooled f32")
    }

    func testImageEmbeddingsMatchDiffusers() throws {
        for (precision, label) in [(PixelValuePrecision.float32, "f32"), (.float16, "f16")] {
            let embeddings = matrix(try results(precision).map(\.imageEmbedding))
            XCTAssertClose(embeddings, try Self.tensors.get()["image_embeds_\(label)"]!, relativeTolerance: 1e-4,
                           "image_embeds \(label)")
        }
    }

    func testCosinesMatchDiffusers() throws {
        for (precision, label) in [(PixelValuePrecision.float32, "f32"), (.float16, "f16")] {
            let results = try results(precision)
            let concept = maxAbsoluteDifference(matrix(results.map(\.conceptCosines)),
                                                try Self.tensors.get()["concept_cos_\(label)"]!)
            let special = maxAbsoluteDifference(matrix(results.map(\.specialCosines)),
                                                try Self.tensors.get()["special_cos_\(label)"]!)
            reportParity("concept cosines \(label)", concept, tolerance: 1e-5)
            reportParity("special cosines \(label)", special, tolerance: 1e-5)
            XCTAssertLessThanOrEqual(concept, 1e-5, "concept cosines \(label): max |Δ| = \(concept)")
            XCTAssertLessThanOrEqual(special, 1e-5, "special-care cosines \(label): max |Δ| = \(special)")
        }
    }

    func testRoundedScoresMatchRunnerArithmetic() throws {
        for (precision, label) in [(PixelValuePrecision.float32, "f32"), (.float16, "f16")] {
            let reference = label == "f32" ? try Self.expected.get().f32 : try Self.expected.get().f16
            for (index, (result, expected)) in zip(try results(precision), reference.runner).enumerated() {
                let pairs = zip(result.conceptScores + result.specialScores,
                                zip(expected.concept_scores + expected.special_scores, expected.concept_raw + expected.special_raw))
                for (position, (score, (expectedScore, raw))) in pairs.enumerated() where !Self.nearTie(raw) {
                    XCTAssertEqual(score, expectedScore, "\(label) image \(index) score \(position) (raw \(raw))")
                }
            }
        }
    }

    func testFlagsMatchDiffusers() throws {
        let expected = try Self.expected.get()
        XCTAssertEqual(try results(.float32).map(\.nsfw), expected.f32.nsfw)
        XCTAssertEqual(try results(.float16).map(\.nsfw), expected.f16.nsfw)
        XCTAssertEqual(try results(.float32).map(\.specialCare), expected.f32.runner.map(\.special_care))
    }

    func testPositiveScoreThatRoundsToZeroIsNotFlagged() throws {
        // Fixture image 9: concept 2 scores +0.00025 before rounding, 0.0 after, so it stays clean.
        let expected = try Self.expected.get().f32.runner[9]
        XCTAssertGreaterThan(expected.concept_raw[2], 0)
        let result = try results(.float32)[9]
        XCTAssertEqual(result.conceptScores[2], 0)
        XCTAssertFalse(result.nsfw)
    }

    func testSpecialCareAdjustmentAppliesToLaterScores() {
        // Special 0 scores +0.01 → adjustment 0.01 for special 1 (−0.005 → +0.005) and every concept (−0.004 → +0.006).
        let flagged = SafetyScoring.scores(conceptCosines: [0.5], specialCosines: [0.5, 0.5],
                                           conceptThresholds: [0.504], specialThresholds: [0.49, 0.505])
        XCTAssertEqual(flagged.special, [0.01, 0.005])
        XCTAssertEqual(flagged.concept, [0.006])
        XCTAssertTrue(flagged.nsfw)
        let clean = SafetyScoring.scores(conceptCosines: [0.5], specialCosines: [0.5, 0.5],
                                         conceptThresholds: [0.504], specialThresholds: [0.51, 0.505])
        XCTAssertEqual(clean.concept, [-0.004])
        XCTAssertFalse(clean.nsfw)
    }

    func testRoundingIsNumpysNotPythons() throws {
        // np.round(0.0025, 3) = 0.002 (rint of 2.5), where Python's round gives 0.003.
        for pair in try Self.expected.get().numpy_round_cases {
            XCTAssertEqual(SafetyScoring.roundedToThousandths(pair[0]), pair[1], "np.round(\(pair[0]), 3)")
        }
    }

    func testTransformers5KeyLayoutGivesSameVerdicts() throws {
        // transformers 5 saves `vision_model.*` where the Hub has `vision_model.vision_model.*`.
        let scratch = try SafetyFixture.scratchCopy(of: ["config.json", "preprocessor_config.json"])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let hub = try loadSafeTensors(SafetyFixture.checkerFolder.appendingPathComponent("model.safetensors"))
        let flat = hub.map { key, value in
            (name: key.replacingOccurrences(of: "vision_model.vision_model.", with: "vision_model."), tensor: value)
        }
        try SafeTensorsWriter.write(flat, to: scratch.appendingPathComponent("model.safetensors"))
        let images = Array(try Self.images.get().prefix(4))
        let reference = try checker(.float16).check(images)
        XCTAssertEqual(try SafetyChecker(directory: scratch).check(images), reference)
    }

    func testFolderWithoutPreprocessorConfigUsesOpenAIDefaults() throws {
        let scratch = try SafetyFixture.scratchCopy(of: ["config.json", "model.safetensors"])
        defer { try? FileManager.default.removeItem(at: scratch) }
        XCTAssertEqual(try SafetyChecker(directory: scratch).processor.config, .openAICLIPViTBasePatch32)
    }

    func testMissingFilesAreReportedByName() throws {
        let noConfig = try SafetyFixture.scratchCopy(of: ["model.safetensors"])
        let noWeights = try SafetyFixture.scratchCopy(of: ["config.json"])
        defer { for url in [noConfig, noWeights] { try? FileManager.default.removeItem(at: url) } }
        XCTAssertThrowsError(try SafetyChecker(directory: noConfig)) { error in
            guard case let .missingFile(path, _)? = error as? SafetyError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("config.json"), path)
        }
        XCTAssertThrowsError(try SafetyChecker(directory: noWeights)) { error in
            guard case let .missingFile(path, role)? = error as? SafetyError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("model.safetensors") && role.contains("model.fp16.safetensors"), "\(error)")
        }
        let elsewhere = noWeights.appendingPathComponent("preprocessor_config.json")
        XCTAssertThrowsError(try SafetyChecker(directory: SafetyFixture.checkerFolder, preprocessorConfig: elsewhere)) {
            XCTAssertEqual($0 as? SafetyError, .missingFile(path: elsewhere.path, role: "the image processor settings"))
        }
    }

    func testUnexpectedAndMissingKeysAreReportedByName() throws {
        let source = try SafeTensorsFile(contentsOf: SafetyFixture.checkerFolder.appendingPathComponent("model.safetensors"))
        var config = try decodeConfig(SafetyCheckerConfig.self,
                                      from: SafetyFixture.checkerFolder.appendingPathComponent("config.json"))
        config.visionConfig.numHiddenLayers = 1
        XCTAssertThrowsError(try StableDiffusionSafetyChecker(config: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("unexpected key vision_model.vision_model.encoder.layers.1."), "\(error)")
        }
        config.visionConfig.numHiddenLayers = 3
        XCTAssertThrowsError(try StableDiffusionSafetyChecker(config: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("missing key vision_model.vision_model.encoder.layers.2.self_attn.q_proj.weight"),
                          "\(error)")
        }
    }

    func testCropNotMatchingTheVisionModelIsRejected() throws {
        let model = try StableDiffusionSafetyChecker(directory: SafetyFixture.checkerFolder)
        var config = CLIPImageProcessorConfig()
        config.cropWidth = 256
        config.cropHeight = 256
        XCTAssertThrowsError(try SafetyChecker(model: model, processor: CLIPImageProcessor(config: config))) {
            XCTAssertEqual($0 as? SafetyError, .inputSizeMismatch(width: 256, height: 256, imageSize: 224))
        }
    }

    func testLegacyVisionConfigDictOverridesVisionConfig() throws {
        let json = """
            {"projection_dim": 768, "vision_config": {"hidden_size": 64, "patch_size": 16, "image_size": 112},
             "vision_config_dict": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16,
                                    "num_hidden_layers": 24, "patch_size": 14}}
            """
        let config = try JSONDecoder().decode(SafetyCheckerConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.projectionDim, 768)
        XCTAssertEqual([config.visionConfig.hiddenSize, config.visionConfig.patchSize, config.visionConfig.imageSize,
                        config.visionConfig.numHiddenLayers, config.visionConfig.gridSize], [1024, 14, 224, 24, 16])
    }

    /// Whether a reference score lies within 1e-6 of a 3-decimal rounding tie (where 1e-7 errors may flip it).
    static func nearTie(_ raw: Double) -> Bool {
        let scaled = raw * 1000
        return abs(scaled - scaled.rounded(.down) - 0.5) < 1e-3
    }
}

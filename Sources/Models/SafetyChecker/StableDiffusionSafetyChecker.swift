// diffusers `StableDiffusionSafetyChecker.forward`: CLIP vision tower → pooled → `visual_projection` (no bias)
// = image embeddings; cosine similarity (rows L2-normalised, as `cosine_distance`) with 17 concept and 3
// special-care embeddings; then `SafetyScoring` against the stored thresholds decides each image.

import Foundation
import SafeTensors
import Tensors

/// diffusers `StableDiffusionSafetyChecker` (the `safety_checker` of SD 1.x pipelines).
public struct StableDiffusionSafetyChecker {
    /// Concept embeddings, fixed at 17 by diffusers' `__init__` (`torch.ones(17, projection_dim)`).
    public static let conceptCount = 17
    /// Special-care embeddings, fixed at 3 by diffusers' `__init__`.
    public static let specialCareCount = 3

    public let config: SafetyCheckerConfig
    public let visionModel: CLIPVisionModel
    let visualProjection: Linear
    let conceptEmbeddings: Tensor, specialCareEmbeddings: Tensor
    let conceptThresholds: [Float], specialCareThresholds: [Float]

    /// Reads the checker's weights: `vision_model.vision_model.*` as on the Hub (transformers 4 layout) or
    /// `vision_model.*` (as transformers 5 saves it), plus `visual_projection.weight`, `concept_embeds`,
    /// `special_care_embeds`, `concept_embeds_weights` and `special_care_embeds_weights`.
    public init(config: SafetyCheckerConfig, source: TensorSource) throws {
        try config.visionConfig.validate()
        self.config = config
        let weights = Weights(source: source) { $0.hasSuffix("position_ids") }
        let root = weights.scope()
        let nested = source.names.contains { $0.hasPrefix("vision_model.vision_model.") }
        visionModel = CLIPVisionModel(nested ? root["vision_model"]["vision_model"] : root["vision_model"],
                                      config: config.visionConfig)
        let projection = config.projectionDim
        visualProjection = Linear(root["visual_projection"], inFeatures: config.visionConfig.hiddenSize,
                                  outFeatures: projection, bias: false)
        conceptEmbeddings = root.tensor("concept_embeds", shape: [Self.conceptCount, projection])
        specialCareEmbeddings = root.tensor("special_care_embeds", shape: [Self.specialCareCount, projection])
        conceptThresholds = root.tensor("concept_embeds_weights", shape: [Self.conceptCount]).scalars
        specialCareThresholds = root.tensor("special_care_embeds_weights", shape: [Self.specialCareCount]).scalars
        try weights.finish(component: "safety_checker")
    }

    /// Loads `config.json` and `model.safetensors` (or its sharded / `.fp16` forms) from a checker folder.
    public init(directory: URL) throws {
        let config = try decodeConfig(SafetyCheckerConfig.self, from: directory.appendingPathComponent("config.json"))
        try self.init(config: config, source: try openCheckpoint(in: directory, baseName: "model"))
    }

    /// `image_embeds = visual_projection(vision_model(pixel_values).pooler_output)`, `[B, projection_dim]`.
    public func imageEmbeddings(_ pixelValues: Tensor) -> Tensor {
        visualProjection(visionModel(pixelValues).pooled)
    }

    /// The verdict for each image of a `[B, C, S, S]` batch of CLIP pixel values.
    public func callAsFunction(_ pixelValues: Tensor) -> [SafetyResult] {
        let embeddings = imageEmbeddings(pixelValues)
        let concepts = Self.normalizedRows(conceptEmbeddings), special = Self.normalizedRows(specialCareEmbeddings)
        return Self.normalizedRows(embeddings).map { image in
            let conceptCosines = concepts.map { Self.dot(image, $0) }
            let specialCosines = special.map { Self.dot(image, $0) }
            let scores = SafetyScoring.scores(conceptCosines: conceptCosines, specialCosines: specialCosines,
                                              conceptThresholds: conceptThresholds,
                                              specialThresholds: specialCareThresholds)
            return SafetyResult(nsfw: scores.nsfw, conceptScores: scores.concept, specialScores: scores.special,
                                conceptCosines: conceptCosines, specialCosines: specialCosines,
                                imageEmbedding: image.embedding)
        }
    }

    /// One row and its L2-normalised form.
    struct NormalizedRow {
        let embedding: [Float]
        let unit: [Float]
    }

    /// `F.normalize(rows)`: each row divided by max(‖row‖₂, 1e-12).
    static func normalizedRows(_ matrix: Tensor) -> [NormalizedRow] {
        let width = matrix.shape.last ?? 0, values = matrix.scalars
        return stride(from: 0, to: values.count, by: max(width, 1)).map { start in
            let row = Array(values[start..<start + width])
            let norm = Float(row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            let divisor = max(norm, 1e-12)
            return NormalizedRow(embedding: row, unit: row.map { $0 / divisor })
        }
    }

    /// The dot product of two unit rows (accumulated in Double).
    static func dot(_ a: NormalizedRow, _ b: NormalizedRow) -> Float {
        Float(zip(a.unit, b.unit).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
    }
}

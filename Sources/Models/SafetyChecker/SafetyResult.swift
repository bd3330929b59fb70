// The safety checker's verdict on one image: the NSFW flag, the rounded scores it was decided on, and the
// similarities and embedding behind them (for dumps and parity checks).

/// The per-image outcome of the safety checker.
public struct SafetyResult: Equatable, Sendable {
    /// Whether any rounded concept score is > 0 (diffusers' `has_nsfw_concepts`).
    public let nsfw: Bool
    /// `round(cos − threshold + adjustment, 3)` per concept (diffusers' `result_img["concept_scores"]`).
    public let conceptScores: [Double]
    /// `round(cos − threshold + adjustment, 3)` per special-care concept (`result_img["special_scores"]`).
    public let specialScores: [Double]
    /// Cosine similarity of the image embedding with each concept embedding.
    public let conceptCosines: [Float]
    /// Cosine similarity of the image embedding with each special-care embedding.
    public let specialCosines: [Float]
    /// `visual_projection` of the pooled vision output (`image_embeds`).
    public let imageEmbedding: [Float]

    /// Whether a special-care concept scored > 0, which adds 0.01 to the scores after it.
    public var specialCare: Bool { specialScores.contains { $0 > 0 } }
    /// Indices of the concepts whose rounded score is > 0 (`result_img["bad_concepts"]`).
    public var badConcepts: [Int] { conceptScores.indices.filter { conceptScores[$0] > 0 } }
}

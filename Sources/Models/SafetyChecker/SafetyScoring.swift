// diffusers' per-image safety decision (`StableDiffusionSafetyChecker.forward`): score = cosine − threshold
// + adjustment, rounded to 3 decimals; the adjustment becomes 0.01 once a special-care score is > 0 (for the
// special-care scores after it too); the image is NSFW when any rounded concept score is > 0.
// Arithmetic as the Livepeer runner does it (numpy 1.26): np.float32 − Python float is float64, and round()
// of a numpy float is np.round: rint(x · 1000) / 1000, half to even on the scaled value — not Python's
// correctly rounded round() (np.round(0.0025, 3) = 0.002, round(0.0025, 3) = 0.003).

/// The scoring rules of diffusers' safety checker, on cosine similarities.
public enum SafetyScoring {
    /// The adjustment added once a special-care concept scores > 0.
    public static let specialCareAdjustment = 0.01

    /// numpy's `round(x, 3)` on a float64: `rint(x * 1000) / 1000` with ties to even.
    public static func roundedToThousandths(_ x: Double) -> Double {
        (x * 1000).rounded(.toNearestOrEven) / 1000
    }

    /// Special-care and concept scores of one image, and its NSFW flag, from its cosine similarities.
    public static func scores(conceptCosines: [Float], specialCosines: [Float], conceptThresholds: [Float],
                              specialThresholds: [Float]) -> (concept: [Double], special: [Double], nsfw: Bool) {
        precondition(conceptCosines.count == conceptThresholds.count && specialCosines.count == specialThresholds.count,
                     "one threshold per concept")
        var adjustment = 0.0
        var special: [Double] = []
        for (cosine, threshold) in zip(specialCosines, specialThresholds) {
            let score = roundedToThousandths(Double(cosine) - Double(threshold) + adjustment)
            special.append(score)
            if score > 0 { adjustment = specialCareAdjustment }
        }
        let concept = zip(conceptCosines, conceptThresholds).map { cosine, threshold in
            roundedToThousandths(Double(cosine) - Double(threshold) + adjustment)
        }
        return (concept, special, concept.contains { $0 > 0 })
    }
}

// What a request returns per image, from the pipeline through the safety checker to the API's JSON.

import Images

/// One generated image with the seed that made it and the safety checker's verdict.
public struct GeneratedImage: Sendable {
    public let image: RGBImage
    /// `seed + i` for image `i`, as the API reports it.
    public let seed: Int128
    /// Whether the safety checker flagged the image (false when `safety_check` was off).
    public let nsfw: Bool

    public init(image: RGBImage, seed: Int128, nsfw: Bool) {
        self.image = image
        self.seed = seed
        self.nsfw = nsfw
    }
}

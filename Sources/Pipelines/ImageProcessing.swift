// diffusers `VaeImageProcessor`: preprocess = round the size down to a multiple of the VAE scale factor,
// Lanczos-resize (Pillow's), x/255, 2x − 1 → NCHW; postprocess = (x/2 + 0.5) clamped to [0, 1], ×255,
// rounded half-to-even (numpy) → RGB8.

import Images
import Tensors

/// The diffusers `VaeImageProcessor` with its SD defaults (`do_resize`, `do_normalize`, Lanczos).
public struct VaeImageProcessor: Sendable {
    /// 2^(VAE down blocks − 1): 8 for the SD VAE.
    public let scaleFactor: Int

    public init(scaleFactor: Int) { self.scaleFactor = scaleFactor }

    /// The image as a `[1, 3, H, W]` tensor in [−1, 1], H and W rounded down to multiples of the scale factor.
    public func preprocess(_ image: RGBImage) throws -> Tensor {
        let width = image.width - image.width % scaleFactor, height = image.height - image.height % scaleFactor
        guard width > 0, height > 0 else {
            throw PipelineError.invalidInput("the image is \(image.width)×\(image.height); it must be at least \(scaleFactor)×\(scaleFactor) pixels")
        }
        let resized = (width, height) == (image.width, image.height)
            ? image : try image.resized(width: width, height: height, filter: .lanczos)
        var tensor = Tensor(uninitialized: [1, 3, height, width])
        let plane = width * height
        tensor.withUnsafeMutableBufferPointer { out in
            for pixel in 0..<plane {
                for channel in 0..<3 {
                    let unit = Float(resized.pixels[pixel * 3 + channel]) / 255
                    out[channel * plane + pixel] = 2 * unit - 1
                }
            }
        }
        return tensor
    }

    /// Each image of a `[B, 3, H, W]` tensor in about [−1, 1] as RGB8.
    public func postprocess(_ images: Tensor) throws -> [RGBImage] { try Self.rgb8(images) }

    /// `postprocess` of any `[B, 3, H, W]` tensor in about [−1, 1] (the previews' too).
    static func rgb8(_ images: Tensor) throws -> [RGBImage] {
        let (batch, height, width) = (images.shape[0], images.shape[2], images.shape[3])
        let plane = width * height
        let values = images.scalars
        return try (0..<batch).map { b in
            var pixels = [UInt8](repeating: 0, count: plane * 3)
            for pixel in 0..<plane {
                for channel in 0..<3 {
                    let x = values[(b * 3 + channel) * plane + pixel]
                    let unit = min(max(x / 2 + 0.5, 0), 1)
                    pixels[pixel * 3 + channel] = UInt8((unit * 255).rounded(.toNearestOrEven))
                }
            }
            return try RGBImage(width: width, height: height, pixels: pixels)
        }
    }
}

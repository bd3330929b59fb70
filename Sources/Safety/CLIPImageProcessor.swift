// transformers' PIL-backed CLIP image processor (`CLIPImageProcessor` of transformers 4.x, which the Livepeer
// runner pins; `CLIPImageProcessorPil` in transformers 5): Pillow resize (shorter side to `size`, the other
// `int(size · long / short)`), centre crop at offset (side − crop) // 2 (zero padding when the crop is larger),
// then float32(float64(v) · rescale_factor), then (v − mean) / std in float32, as numpy does it.

import Foundation
import Images
import Models
import Tensors

/// transformers' `CLIPImageProcessor` (PIL backend): RGB8 images → CLIP pixel values `[B, 3, H, W]`.
public struct CLIPImageProcessor {
    public let config: CLIPImageProcessorConfig

    /// A processor with the given settings.
    public init(config: CLIPImageProcessorConfig = .openAICLIPViTBasePatch32) {
        self.config = config
    }

    /// A processor with the settings of a `preprocessor_config.json`.
    public init(contentsOf url: URL) throws {
        self.init(config: try decodeConfig(CLIPImageProcessorConfig.self, from: url))
    }

    /// The size an image is resized to (transformers' `get_resize_output_image_size`, `default_to_square=False`).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard config.doResize else { return (width, height) }
        switch config.size {
        case let .exact(width, height):
            return (width, height)
        case let .shortestEdge(edge):
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(edge * long) / Double(short))  // Python's int(): truncation
            return width <= height ? (edge, newLong) : (newLong, edge)
        }
    }

    /// The output size of `pixelValues` for an image of this size.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        config.doCenterCrop ? (config.cropWidth, config.cropHeight) : resizedSize(width: width, height: height)
    }

    /// The 8-bit image after resizing and centre cropping, before rescaling and normalising.
    public func resizedAndCropped(_ image: RGBImage) throws -> RGBImage {
        let target = resizedSize(width: image.width, height: image.height)
        let resized = try image.resized(width: target.width, height: target.height, filter: config.resample)
        return config.doCenterCrop ? try Self.centreCropped(resized, width: config.cropWidth, height: config.cropHeight)
                                   : resized
    }

    /// `pixel_values` for a batch: each image processed, stacked `[B, 3, H, W]`.
    public func pixelValues(_ images: [RGBImage]) throws -> Tensor {
        let crops = try images.map(resizedAndCropped)
        guard let first = crops.first else { return Tensor(zeros: [0, 3, config.cropHeight, config.cropWidth]) }
        if let other = crops.first(where: { $0.width != first.width || $0.height != first.height }) {
            throw SafetyError.mixedSizes(first: [first.width, first.height], other: [other.width, other.height])
        }
        let plane = first.width * first.height
        var result = Tensor(uninitialized: [crops.count, 3, first.height, first.width])
        let levels = (0..<3).map(levelTable)
        result.withUnsafeMutableBufferPointer { out in
            for (b, crop) in crops.enumerated() {
                crop.pixels.withUnsafeBufferPointer { pixels in
                    for c in 0..<3 {
                        let channel = out.baseAddress! + (b * 3 + c) * plane
                        for p in 0..<plane { channel[p] = levels[c][Int(pixels[p * 3 + c])] }
                    }
                }
            }
        }
        return result
    }

    /// The pixel value of each 8-bit level in `channel`, computed with numpy's dtypes: the rescale in float64
    /// then cast to float32 (`image.astype(float64) * scale`), the normalisation in float32.
    func levelTable(channel: Int) -> [Float] {
        (0...255).map { level in
            var value = config.doRescale ? Float(Double(level) * config.rescaleFactor) : Float(level)
            if config.doNormalize {
                value = (value - Float(config.imageMean[channel])) / Float(config.imageStd[channel])
            }
            return value
        }
    }

    /// transformers' `center_crop`: rows and columns from (side − crop) // 2 (floor division), zeros where that
    /// runs outside the image (the image is then centred at ceil((crop − side) / 2), as transformers pads).
    static func centreCropped(_ image: RGBImage, width: Int, height: Int) throws -> RGBImage {
        if width == image.width && height == image.height { return image }
        let top = floorHalf(image.height - height), left = floorHalf(image.width - width)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let columns = max(0, -left)..<min(width, image.width - left)
        if !columns.isEmpty {
            for row in 0..<height {
                let sourceRow = row + top
                guard sourceRow >= 0 && sourceRow < image.height else { continue }
                let source = (sourceRow * image.width + columns.lowerBound + left) * 3
                let destination = (row * width + columns.lowerBound) * 3
                pixels[destination..<destination + columns.count * 3] = image.pixels[source..<source + columns.count * 3]
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Python's `n // 2` (rounds towards −∞).
    private static func floorHalf(_ n: Int) -> Int { n >= 0 ? n / 2 : -((-n + 1) / 2) }
}

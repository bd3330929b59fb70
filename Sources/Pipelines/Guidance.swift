// How a pipeline steers the UNet: no guidance (one batch row), classifier-free guidance (rows [uncond, text],
// uncond + s·(text − uncond)) or InstructPix2Pix's three-way guidance (rows [text, image, uncond],
// uncond + s·(text − image) + s_img·(image − uncond)). Each kind says how to batch the inputs and how to
// combine the predictions, so a pipeline's loop body is the same for all three.

import Tensors

/// The guidance of one request: how many batch rows the UNet sees and how its predictions combine.
public enum Guidance: Equatable, Sendable {
    case none
    /// diffusers' `do_classifier_free_guidance`: `guidance_scale > 1`.
    case classifierFree(scale: Float)
    /// InstructPix2Pix: `guidance_scale > 1 and image_guidance_scale >= 1`.
    case instructPix2Pix(text: Float, image: Float)

    /// Classifier-free guidance when `scale` > 1 (compared as the Python float it is), else none.
    public static func classifierFree(_ scale: Double) -> Guidance {
        scale > 1 ? .classifierFree(scale: Float(scale)) : .none
    }

    /// Three-way guidance when `text` > 1 and `image` ≥ 1, else none.
    public static func instructPix2Pix(text: Double, image: Double) -> Guidance {
        text > 1 && image >= 1 ? .instructPix2Pix(text: Float(text), image: Float(image)) : .none
    }

    /// Batch rows of one UNet call.
    public var rows: Int {
        switch self {
        case .none: return 1
        case .classifierFree: return 2
        case .instructPix2Pix: return 3
        }
    }

    /// The prompt states in this guidance's row order: [negative, prompt] for CFG, [prompt, negative, negative]
    /// for InstructPix2Pix (its "image" row sees the negative prompt too). `negative` is called only when needed.
    public func batchPrompt(_ prompt: Tensor, negative: () throws -> Tensor) rethrows -> Tensor {
        switch self {
        case .none: return prompt
        case .classifierFree: return Tensor.concatenate([try negative(), prompt], along: 0)
        case .instructPix2Pix:
            let uncond = try negative()
            return Tensor.concatenate([prompt, uncond, uncond], along: 0)
        }
    }

    /// InstructPix2Pix's image latents per row: [image, image, zeros] (the unconditional row sees no image).
    public func batchImageLatents(_ latents: Tensor) -> Tensor {
        guard case .instructPix2Pix = self else { return latents }
        return Tensor.concatenate([latents, latents, Tensor(zeros: latents.shape)], along: 0)
    }

    /// `latents` repeated once per row (`torch.cat([latents] * rows)`).
    public func expand(_ latents: Tensor) -> Tensor {
        rows == 1 ? latents : Tensor.concatenate(Array(repeating: latents, count: rows), along: 0)
    }

    /// The guided prediction from the UNet's prediction for every row.
    public func combine(_ prediction: Tensor) -> Tensor {
        switch self {
        case .none:
            return prediction
        case let .classifierFree(scale):
            let halves = prediction.chunked(into: 2, along: 0)
            let (uncond, text) = (halves[0], halves[1])
            return uncond + (text - uncond) * scale
        case let .instructPix2Pix(textScale, imageScale):
            let parts = prediction.chunked(into: 3, along: 0)
            let (text, image, uncond) = (parts[0], parts[1], parts[2])
            return uncond + (text - image) * textScale + (image - uncond) * imageScale
        }
    }
}

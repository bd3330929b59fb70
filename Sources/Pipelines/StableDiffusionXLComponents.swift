// The components of an SDXL model folder as `model_index.json` lists them: two tokenizers and text encoders
// (CLIP ViT-L, absent in the refiner, and OpenCLIP bigG with its projection), the text_time UNet, the VAE
// (scaling factor 0.13025) and the scheduler config, plus the pipeline's own settings: whether the UNet's
// micro-conditioning takes an aesthetic score (the refiner) and whether an absent negative prompt is zeros.

import Foundation
import Models
import Schedulers
import Tokenizers

/// The loaded components of an SDXL (base, turbo, refiner, …) model folder.
public final class StableDiffusionXLComponents: LatentDiffusionComponents {
    /// The id the runner's per-model rules key on.
    public let modelID: String
    public let index: ModelIndex
    /// The first text encoder (CLIP ViT-L) and its tokenizer; the refiner has neither.
    public let tokenizer: CLIPTokenizer?
    public let textEncoder: CLIPTextModel?
    /// The second (OpenCLIP bigG, `CLIPTextModelWithProjection`): its projected EOS state is the pooled embedding.
    public let tokenizer2: CLIPTokenizer
    public let textEncoder2: CLIPTextModel
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let schedulerConfig: SchedulerConfig
    public let imageProcessor: VaeImageProcessor
    /// `requires_aesthetics_score` (diffusers' default false): time ids (size, crop, score) instead of
    /// (size, crop, target size).
    public let requiresAestheticsScore: Bool
    /// `force_zeros_for_empty_prompt` (default true): with guidance and no negative prompt at all, zeros.
    public let forceZerosForEmptyPrompt: Bool

    /// Where the request's LoRA ids are found, and the LoRAs kept loaded.
    public let loraLibrary: LoRALibrary
    /// How LoRA updates are applied (see `LoRAApplication`).
    public let loraApplication: LoRAApplication
    /// The previews of its latents (the tiny autoencoder is TAESDXL, looked for under `modelRoot`).
    public let previews: LatentPreviews

    /// Loads each component the folder lists — the UNet's weights from `unetFile` when given (the runner's
    /// SDXL-Lightning: the base's UNet config, the Lightning UNet's weights, and its scheduler swap for a
    /// Lightning `modelID`); LoRA ids resolve through
    /// `loraLibrary`, their updates applied as `loraApplication` says; the previews' tiny autoencoder is looked for
    /// under `modelRoot`.
    public init(index: ModelIndex, modelID: String, unetFile: URL? = nil, loraLibrary: LoRALibrary = LoRALibrary(),
                loraApplication: LoRAApplication = .merged, modelRoot: URL? = nil) throws {
        self.modelID = modelID
        self.index = index
        self.loraLibrary = loraLibrary
        self.loraApplication = loraApplication
        let hasFirstEncoder = index.components["text_encoder"] != nil
        tokenizer = hasFirstEncoder ? try index.tokenizer("tokenizer") : nil
        textEncoder = hasFirstEncoder ? try index.textEncoder("text_encoder") : nil
        tokenizer2 = try index.tokenizer("tokenizer_2")
        textEncoder2 = try index.textEncoder("text_encoder_2", projection: true)
        unet = try index.unet(weightsFile: unetFile)
        vae = try index.vae()
        let scheduler = try index.schedulerConfig()
        schedulerConfig = SDXLLightning(modelID: modelID) == nil ? scheduler : SDXLLightning.scheduler(from: scheduler)
        imageProcessor = VaeImageProcessor(for: vae)
        previews = LatentPreviews(vae: vae, tinyAutoencoderName: "taesdxl", modelRoot: modelRoot)
        requiresAestheticsScore = index.flags["requires_aesthetics_score"] ?? false
        forceZerosForEmptyPrompt = index.flags["force_zeros_for_empty_prompt"] ?? true
        guard unet.config.additionEmbedType == "text_time" else {
            throw PipelineError.unsupportedModel("\(index.className) needs a UNet with addition_embed_type \"text_time\"")
        }
        models.forEach { $0.releaseResidentWeights() }
    }

    /// The checkpoint-backed models, in pipeline order.
    public var models: [CheckpointBacked] { [textEncoder as CheckpointBacked?, textEncoder2, unet, vae].compactMap { $0 } }

    /// The UNet's and both text encoders' layers.
    public var loraLayers: [LoRAComponent: [String: [Int]]] {
        var layers: [LoRAComponent: [String: [Int]]] = [.unet: unet.layerShapes, .textEncoder2: textEncoder2.layerShapes]
        layers[.textEncoder] = textEncoder?.layerShapes
        return layers
    }
}

// The components of an SD1.x / SD2.x model folder as `model_index.json` lists them — tokenizer, text encoder,
// UNet, VAE, scheduler config — shared by the SD img2img and InstructPix2Pix pipelines, with the request's
// LoRAs found in a library and fitted to the UNet's and text encoder's layers.

import Foundation
import Models
import Schedulers
import Tokenizers

/// The loaded components of a Stable Diffusion (1.x / 2.x) model folder.
public final class StableDiffusionComponents {
    /// The id the runner's per-model rules key on.
    public let modelID: String
    public let index: ModelIndex
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let schedulerConfig: SchedulerConfig
    public let imageProcessor: VaeImageProcessor
    /// Where the request's LoRA ids are found, and the LoRAs kept loaded.
    public let loraLibrary: LoRALibrary
    /// How LoRA updates are applied (see `LoRAApplication`).
    public let loraApplication: LoRAApplication
    /// The previews of its latents (the tiny autoencoder is TAESD, looked for under `modelRoot`).
    public let previews: LatentPreviews

    /// Loads each component from its folder; LoRA ids resolve through `loraLibrary`, their updates applied as
    /// `loraApplication` says; the previews' tiny autoencoder is looked for under `modelRoot`.
    public init(index: ModelIndex, modelID: String, loraLibrary: LoRALibrary = LoRALibrary(),
                loraApplication: LoRAApplication = .merged, modelRoot: URL? = nil) throws {
        self.modelID = modelID
        self.index = index
        self.loraLibrary = loraLibrary
        self.loraApplication = loraApplication
        tokenizer = try index.tokenizer("tokenizer")
        textEncoder = try index.textEncoder("text_encoder")
        unet = try index.unet()
        guard !unet.requiresAddedConditioning else {
            throw PipelineError.unsupportedModel("the UNet of this \(index.className) folder needs SDXL's added conditioning "
                                                 + "(addition_embed_type \"text_time\"), which SD1.x/2.x pipelines do not give")
        }
        vae = try index.vae()
        schedulerConfig = try index.schedulerConfig()
        imageProcessor = VaeImageProcessor(for: vae)
        previews = LatentPreviews(vae: vae, tinyAutoencoderName: "taesd", modelRoot: modelRoot)
        // Loading read the files' headers and widened what is not kept as F16: none of it is needed resident.
        models.forEach { $0.releaseResidentWeights() }
    }

    /// The checkpoint-backed models, in pipeline order.
    public var models: [CheckpointBacked] { [textEncoder, unet, vae] }

    /// The UNet's and the text encoder's layers.
    public var loraLayers: [LoRAComponent: [String: [Int]]] {
        [.unet: unet.layerShapes, .textEncoder: textEncoder.layerShapes]
    }
}

extension StableDiffusionComponents: LatentDiffusionComponents {}

// The full-size architectures `img2img weights synth` writes, with the config files the real checkpoints ship
// (stable-diffusion-v1-5, stable-diffusion-2-1, stable-diffusion-xl-base-1.0, sdxl-turbo and the SDXL refiner,
// architecture fields verbatim) and each tokenizer's pad token.

/// A Stable Diffusion architecture with its real checkpoints' configs.
public enum SynthArchitecture: String, CaseIterable, Sendable {
    /// SD1.5: CLIP ViT-L/14 text encoder, the 860M UNet (768-wide cross-attention), the SD VAE; PNDM.
    case sd15
    /// SD2.1: OpenCLIP ViT-H/14 text encoder (23 layers), the UNet with linear projections and 1024-wide
    /// cross-attention, v-prediction; DDIM.
    case sd21
    /// SDXL base 1.0: CLIP ViT-L + OpenCLIP bigG, the 2.6B text_time UNet, the SDXL VAE; EulerDiscrete.
    case sdxl
    /// sdxl-turbo: the SDXL architecture at 512² (UNet sample size 64); EulerAncestral, trailing.
    case sdxlTurbo = "sdxl-turbo"
    /// The SDXL refiner: bigG only, the 2.3B four-level UNet with aesthetic-score time ids.
    case sdxlRefiner = "sdxl-refiner"

    /// The configs of every component, as the checkpoint's JSON files hold them.
    public var configs: SynthConfigs {
        switch self {
        case .sd15:
            return SynthConfigs(modelIndex: SD15Configs.modelIndex, textEncoder: SD15Configs.textEncoder,
                                unet: SD15Configs.unet, vae: SD15Configs.vae, scheduler: SD15Configs.scheduler,
                                padToken: "<|endoftext|>")
        case .sd21:
            return SynthConfigs(modelIndex: SD21Configs.modelIndex, textEncoder: SD21Configs.textEncoder,
                                unet: SD21Configs.unet, vae: SD21Configs.vae, scheduler: SD21Configs.scheduler,
                                padToken: "!")
        case .sdxl, .sdxlTurbo:
            let turbo = self == .sdxlTurbo
            let scheduler = turbo ? "EulerAncestralDiscreteScheduler" : "EulerDiscreteScheduler"
            return SynthConfigs(
                modelIndex: SDXLConfigs.modelIndex("StableDiffusionXLPipeline", scheduler: scheduler, firstEncoder: true,
                                                   refiner: false),
                textEncoders: [.first(SDXLConfigs.textEncoder, padToken: "<|endoftext|>"), .second(SDXLConfigs.textEncoder2)],
                unet: SDXLConfigs.unet(sampleSize: turbo ? 64 : 128), vae: SDXLConfigs.vae,
                scheduler: SDXLConfigs.scheduler(scheduler, spacing: turbo ? "trailing" : "leading"))
        case .sdxlRefiner:
            return SynthConfigs(
                modelIndex: SDXLConfigs.modelIndex("StableDiffusionXLImg2ImgPipeline", scheduler: "EulerDiscreteScheduler",
                                                   firstEncoder: false, refiner: true),
                textEncoders: [.second(SDXLConfigs.textEncoder2)], unet: SDXLConfigs.refinerUNet, vae: SDXLConfigs.vae,
                scheduler: SDXLConfigs.scheduler("EulerDiscreteScheduler", spacing: "leading"))
        }
    }
}

/// One text encoder of a pipeline folder and its tokenizer.
public struct SynthTextEncoder: Sendable {
    /// The component folder (`text_encoder`, `text_encoder_2`) and its tokenizer's (`tokenizer`, `tokenizer_2`).
    public var component: String, tokenizer: String
    public var config: String
    /// `<|endoftext|>` for CLIP ViT-L (SD1.x, SDXL's first), `!` for OpenCLIP (SD2.x, SDXL's second).
    public var padToken: String
    /// `CLIPTextModelWithProjection` (SDXL's second encoder) rather than `CLIPTextModel`.
    public var withProjection: Bool

    /// The first (or only) text encoder.
    public static func first(_ config: String, padToken: String) -> SynthTextEncoder {
        SynthTextEncoder(component: "text_encoder", tokenizer: "tokenizer", config: config, padToken: padToken,
                         withProjection: false)
    }

    /// SDXL's second text encoder, with its projection.
    public static func second(_ config: String) -> SynthTextEncoder {
        SynthTextEncoder(component: "text_encoder_2", tokenizer: "tokenizer_2", config: config, padToken: "!",
                         withProjection: true)
    }
}

/// The JSON files of one pipeline folder, and its text encoders' tokenizer pads.
public struct SynthConfigs: Sendable {
    public var modelIndex: String
    public var textEncoders: [SynthTextEncoder]
    public var unet: String
    public var vae: String
    public var scheduler: String

    public init(modelIndex: String, textEncoders: [SynthTextEncoder], unet: String, vae: String, scheduler: String) {
        self.modelIndex = modelIndex
        self.textEncoders = textEncoders
        self.unet = unet
        self.vae = vae
        self.scheduler = scheduler
    }

    /// An SD1.x / SD2.x folder: one text encoder.
    public init(modelIndex: String, textEncoder: String, unet: String, vae: String, scheduler: String, padToken: String) {
        self.init(modelIndex: modelIndex, textEncoders: [.first(textEncoder, padToken: padToken)], unet: unet, vae: vae,
                  scheduler: scheduler)
    }
}

// The two full-size architectures `img2img weights synth` writes, with the config files the real checkpoints
// ship (stable-diffusion-v1-5 and stable-diffusion-2-1, architecture fields verbatim) and their tokenizer pad.

/// A Stable Diffusion architecture with its real checkpoints' configs.
public enum SynthArchitecture: String, CaseIterable, Sendable {
    /// SD1.5: CLIP ViT-L/14 text encoder, the 860M UNet (768-wide cross-attention), the SD VAE; PNDM.
    case sd15
    /// SD2.1: OpenCLIP ViT-H/14 text encoder (23 layers), the UNet with linear projections and 1024-wide
    /// cross-attention, v-prediction; DDIM.
    case sd21

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
        }
    }
}

/// The JSON files of one pipeline folder, plus the tokenizer's pad token.
public struct SynthConfigs: Sendable {
    public var modelIndex: String
    public var textEncoder: String
    public var unet: String
    public var vae: String
    public var scheduler: String
    /// `<|endoftext|>` for SD1.x, `!` for SD2.x.
    public var padToken: String

    public init(modelIndex: String, textEncoder: String, unet: String, vae: String, scheduler: String, padToken: String) {
        self.modelIndex = modelIndex
        self.textEncoder = textEncoder
        self.unet = unet
        self.vae = vae
        self.scheduler = scheduler
        self.padToken = padToken
    }
}

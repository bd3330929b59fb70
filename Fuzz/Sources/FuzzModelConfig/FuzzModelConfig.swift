// Fuzzes the config files of a model folder: the same bytes decoded as each config this engine reads (UNet, VAE,
// CLIP text and vision towers, safety checker, image processor, scheduler), and, for a config that decodes, the
// derived sizes a model reads from it before it touches any weight.

import Foundation
import FuzzSupport
import Models
import Safety
import Schedulers

@main
enum FuzzModelConfig {
    static func main() {
        runFuzzer { bytes in
            let json = Data(bytes)
            func decode<Config: Decodable>(_ type: Config.Type) -> Config? {
                do { return try decodeConfig(type, from: json, file: "config.json") } catch {
                    _ = "\(error)"
                    return nil
                }
            }
            if let unet = decode(UNet2DConditionConfig.self) {
                _ = (unet.headCounts, unet.layerCounts, unet.crossAttentionDims, unet.transformerDepths)
                _ = (unet.onlyCrossAttentionFlags, unet.timeEmbeddingChannels, unet.requiresAddedConditioning)
            }
            _ = decode(AutoencoderKLConfig.self)
            _ = decode(CLIPTextConfig.self)
            if let vision = decode(CLIPVisionConfig.self) { _ = vision.positionCount }
            _ = decode(SafetyCheckerConfig.self)
            _ = decode(CLIPImageProcessorConfig.self)
            _ = try SchedulerConfig.decode(json)
        }
    }
}

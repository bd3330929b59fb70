// A request's LoRAs as layer patches for the UNet and text encoder: each adapted layer must exist with the factors'
// shapes (else "incompatible"); 1×1-conv factors on a Linear (or back) are reshaped; strength 0 adds nothing.

import Models
import Tensors

/// The patches one request applies, per component; empty when the request names no LoRA.
public struct LoRABinding {
    public let unet: LayerPatches
    public let textEncoder: LayerPatches

    /// No LoRA: both components compute as loaded.
    public static let none = LoRABinding(unet: LayerPatches([:]), textEncoder: LayerPatches([:]))

    /// The patches of `loras` (in the order given) for a model with `layers` (component → key → weight shape);
    /// throws `LoRAError.incompatible` naming `model` when a LoRA does not fit.
    public static func make(_ loras: [(lora: LoRAWeights, strength: Float)],
                            layers: [LoRAComponent: [String: [Int]]], model: String,
                            application: LoRAApplication) throws -> LoRABinding {
        var updates: [LoRAComponent: [String: [LowRankUpdate]]] = [:]
        for (lora, strength) in loras {
            var problems: [String] = []
            var fitted: [(LoRAModule, LowRankUpdate)] = []
            for module in lora.modules {
                do {
                    fitted.append((module, try fit(module, layers: layers[module.component] ?? [:], strength: strength)))
                } catch let mismatch as LayerMismatch {
                    problems.append(mismatch.text)
                }
            }
            guard problems.isEmpty else { throw LoRAError.incompatible(model: model, problems: problems) }
            guard strength != 0 else { continue }
            for (module, update) in fitted {
                updates[module.component, default: [:]][module.layer, default: []].append(update)
            }
        }
        func patches(_ component: LoRAComponent) -> LayerPatches {
            LayerPatches((updates[component] ?? [:]).mapValues { LayerPatch(updates: $0, application: application) })
        }
        return LoRABinding(unet: patches(.unet), textEncoder: patches(.textEncoder))
    }

    /// `module` as an update of the layer it names, factors in the layer's own layout.
    static func fit(_ module: LoRAModule, layers: [String: [Int]], strength: Float) throws -> LowRankUpdate {
        let layer = "\(module.component.rawValue) layer \(module.layer)"
        guard let shape = layers[module.layer] else { throw LayerMismatch(text: "\(layer) does not exist") }
        let (out, input, rank) = (shape[0], shape[1], module.rank)
        let kernel = shape.count == 4 ? Array(shape[2...]) : [1, 1]
        let downShape = shape.count == 4 ? [rank, input] + kernel : [rank, input]
        let upShape = shape.count == 4 ? [out, rank, 1, 1] : [out, rank]
        guard module.down.count == Tensor.elementCount(of: downShape), module.up.count == Tensor.elementCount(of: upShape),
              module.down.shape.prefix(2) == downShape.prefix(2), module.up.shape.prefix(2) == upShape.prefix(2),
              module.down.rank == 2 || Array(module.down.shape[2...]) == kernel else {
            throw LayerMismatch(text: "\(layer) has weight \(shape); "
                                + "the LoRA's factors are \(module.down.shape) and \(module.up.shape)")
        }
        return LowRankUpdate(down: module.down.reshaped(downShape), up: module.up.reshaped(upShape),
                             scale: strength * module.scale)
    }
}

/// Why one LoRA module does not fit the model (collected into `LoRAError.incompatible`).
struct LayerMismatch: Error {
    let text: String
}

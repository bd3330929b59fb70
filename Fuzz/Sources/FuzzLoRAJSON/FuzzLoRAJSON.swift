// Fuzzes the `loras` form field (a JSON object of LoRA id → strength, Python float() rules, at most 4) and the
// naming of a LoRA file's tensors: each key of that object — or, when the input is not a JSON object, each of its
// lines — parsed as a tensor name (PEFT, diffusers, kohya tables), and kohya UNet names in Stability's (sgm)
// spelling mapped to diffusers' for UNets of 1 to 4 layers per block.

import Foundation
import FuzzSupport
import Pipelines

@main
enum FuzzLoRAJSON {
    static func main() {
        runFuzzer { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? LoRASelection.parse(text)
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
            let names = object.map { Array($0.keys) } ?? text.split(separator: "\n").map(String.init)
            for name in names {
                _ = LoRAKey.parse(name)
                guard let (component, layer) = KohyaNames.layer(name), component == .unet,
                      StabilityUNetNames.isStability(layer) else { continue }
                for layersPerBlock in 1...4 { _ = StabilityUNetNames.diffusersKey(layer, layersPerBlock: layersPerBlock) }
            }
        }
    }
}

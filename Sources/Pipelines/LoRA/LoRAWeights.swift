// One LoRA file read into our layer names: for each adapted layer its down (A) and up (B) factors and its
// scale alpha / rank, with alpha from the file's `.alpha` tensors (kohya), else from the `lora_adapter_metadata`
// diffusers writes (`lora_alpha`, `alpha_pattern`, `use_rslora`), else alpha = rank (scale 1), as diffusers does.

import Foundation
import SafeTensors
import Tensors

/// One adapted layer of a LoRA.
public struct LoRAModule {
    public let component: LoRAComponent
    /// Our layer key.
    public let layer: String
    /// A, `[rank, in]` or `[rank, in, kh, kw]` as stored.
    public let down: Tensor
    /// B, `[out, rank]` or `[out, rank, 1, 1]` as stored.
    public let up: Tensor
    /// alpha / rank (alpha / √rank for rsLoRA): the weight of B·A at strength 1.
    public let scale: Float

    public var rank: Int { down.shape[0] }
}

/// A LoRA file, read.
public struct LoRAWeights {
    public let id: String
    public let file: URL
    /// Sorted by component, then layer key.
    public let modules: [LoRAModule]

    /// Bytes the factors occupy in memory (Float32).
    public var byteCount: Int { modules.reduce(0) { $0 + ($1.down.count + $1.up.count) * MemoryLayout<Float>.size } }

    /// Reads `file` (the LoRA `id` names); throws `LoRAError.unloadable` for anything it cannot use.
    public init(id: String, file: URL) throws {
        self.id = id
        self.file = file
        let source: SafeTensorsFile
        do { source = try SafeTensorsFile(contentsOf: file) } catch {
            throw LoRAError.unloadable(id: id, reason: "\(file.lastPathComponent): \(error)")
        }
        let metadata = try LoRAMetadata(source.metadata, id: id)
        var factors: [String: (key: LoRAKey, down: Tensor?, up: Tensor?, alpha: Float?)] = [:]
        try Self.refuseDoRA(source.names, metadata: metadata, id: id)
        let unknown = source.names.filter { LoRAKey.parse($0) == nil }
        guard unknown.isEmpty else {
            throw LoRAError.unloadable(id: id, reason: "unsupported keys: \(unknown.sorted().prefix(5).joined(separator: ", "))"
                                       + (unknown.count > 5 ? ", … (\(unknown.count) in all)" : ""))
        }
        for name in source.names {
            let key = LoRAKey.parse(name)!
            let tensor: Tensor
            do { tensor = try source.tensor(name) } catch {
                throw LoRAError.unloadable(id: id, reason: "cannot read \(name): \(error)")
            }
            let slot = "\(key.component.rawValue):\(key.layer)"
            var entry = factors[slot] ?? (key, nil, nil, nil)
            switch key.factor {
            case .down: entry.down = tensor
            case .up: entry.up = tensor
            case .alpha:
                guard tensor.count == 1 else {
                    throw LoRAError.unloadable(id: id, reason: "\(name) holds \(tensor.count) values, expected one")
                }
                entry.alpha = tensor.scalars[0]
            }
            factors[slot] = entry
        }
        modules = try factors.values.map { entry in
            guard let down = entry.down, let up = entry.up else {
                throw LoRAError.unloadable(id: id, reason: "layer \(entry.key.layer) lacks its \(entry.down == nil ? "down (A)" : "up (B)") factor")
            }
            guard [2, 4].contains(down.rank), down.rank == up.rank, up.shape[1] == down.shape[0], down.shape[0] > 0,
                  up.rank == 2 || (up.shape[2] == 1 && up.shape[3] == 1) else {
                throw LoRAError.unloadable(id: id, reason: "layer \(entry.key.layer): factors \(down.shape) and \(up.shape) do not form a LoRA")
            }
            let rank = Float(down.shape[0])
            let scale = entry.alpha.map { $0 / rank }
                ?? metadata.scale(component: entry.key.component, layer: entry.key.layer, rank: rank)
            return LoRAModule(component: entry.key.component, layer: entry.key.layer, down: down, up: up, scale: scale)
        }.sorted { ($0.component.rawValue, $0.layer) < ($1.component.rawValue, $1.layer) }
        guard !modules.isEmpty else { throw LoRAError.unloadable(id: id, reason: "\(file.lastPathComponent) holds no LoRA tensors") }
    }

    /// DoRA rescales each output by a learned magnitude over the norm of the merged weight; diffusers drops
    /// those tensors and applies a plain LoRA, which is not what the adapter was trained as. Refused by name.
    static func refuseDoRA(_ names: [String], metadata: LoRAMetadata, id: String) throws {
        if names.contains(where: { $0.contains("dora_scale") || $0.contains("lora_magnitude_vector") })
            || metadata.usesDoRA {
            throw LoRAError.unloadable(id: id, reason: "DoRA adapters (dora_scale / lora_magnitude_vector) are not supported")
        }
    }
}

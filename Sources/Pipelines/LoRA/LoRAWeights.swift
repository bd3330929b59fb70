// One LoRA file in our layer names: per layer the down (A) and up (B) factors and alpha / rank, alpha from the
// `.alpha` tensors (kohya), else the diffusers metadata, else alpha = rank (scale 1), as diffusers does.

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
    public var byteCount: Int {
        modules.reduce(0) { $0 + ($1.down.count + $1.up.count) * MemoryLayout<Float>.size }
    }

    /// Reads `file` (the LoRA `id` names); throws `LoRAError.unloadable` for anything it cannot use.
    public init(id: String, file: URL) throws {
        self.id = id
        self.file = file
        let source: SafeTensorsFile
        do { source = try SafeTensorsFile(contentsOf: file) } catch {
            throw LoRAError.unloadable(id: id, reason: "\(file.lastPathComponent): \(error)")
        }
        let metadata = try LoRAMetadata(source.metadata, id: id)
        try Self.refuseUnusable(source.names, metadata: metadata, id: id)
        modules = try Self.layerFactors(source, id: id).map { try $0.module(metadata: metadata, id: id) }
            .sorted { ($0.component.rawValue, $0.layer) < ($1.component.rawValue, $1.layer) }
        guard !modules.isEmpty else {
            throw LoRAError.unloadable(id: id, reason: "\(file.lastPathComponent) holds no LoRA tensors")
        }
    }

    /// DoRA rescales each output by a learned magnitude over the norm of the merged weight; diffusers drops those
    /// tensors and applies a plain LoRA, which is not what the adapter was trained as: refused by name. Keys of
    /// other adapter kinds (LoHa, LoKr, …) are refused rather than dropped.
    static func refuseUnusable(_ names: [String], metadata: LoRAMetadata, id: String) throws {
        if names.contains(where: { $0.contains("dora_scale") || $0.contains("lora_magnitude_vector") })
            || metadata.usesDoRA {
            throw LoRAError.unloadable(id: id,
                                       reason: "DoRA adapters (dora_scale / lora_magnitude_vector) are not supported")
        }
        let unknown = names.filter { LoRAKey.parse($0) == nil }.sorted()
        guard unknown.isEmpty else {
            let more = unknown.count > 5 ? ", … (\(unknown.count) in all)" : ""
            throw LoRAError.unloadable(id: id, reason: "unsupported keys: \(unknown.prefix(5).joined(separator: ", "))\(more)")
        }
    }

    /// The file's tensors grouped by layer.
    static func layerFactors(_ source: SafeTensorsFile, id: String) throws -> [LayerFactors] {
        var layers: [String: LayerFactors] = [:]
        for name in source.names {
            let key = LoRAKey.parse(name)!
            let tensor: Tensor
            do { tensor = try source.tensor(name) } catch {
                throw LoRAError.unloadable(id: id, reason: "cannot read \(name): \(error)")
            }
            let slot = "\(key.component.rawValue):\(key.layer)"
            var entry = layers[slot] ?? LayerFactors(component: key.component, layer: key.layer)
            switch key.factor {
            case .down: entry.down = tensor
            case .up: entry.up = tensor
            case .alpha:
                guard tensor.count == 1 else {
                    throw LoRAError.unloadable(id: id, reason: "\(name) holds \(tensor.count) values, expected one")
                }
                entry.alpha = tensor.scalars[0]
            }
            layers[slot] = entry
        }
        return Array(layers.values)
    }
}

/// The tensors of one layer collected from a LoRA file.
struct LayerFactors {
    let component: LoRAComponent
    let layer: String
    var down: Tensor?, up: Tensor?, alpha: Float?

    init(component: LoRAComponent, layer: String) {
        self.component = component
        self.layer = layer
    }

    /// The module, once both factors are present and shaped as A `[r, in(, kh, kw)]` and B `[out, r(, 1, 1)]`.
    func module(metadata: LoRAMetadata, id: String) throws -> LoRAModule {
        guard let down, let up else {
            let missing = down == nil ? "down (A)" : "up (B)"
            throw LoRAError.unloadable(id: id, reason: "layer \(layer) lacks its \(missing) factor")
        }
        guard [2, 4].contains(down.rank), down.rank == up.rank, down.shape[0] > 0, up.shape[1] == down.shape[0],
              up.rank == 2 || (up.shape[2] == 1 && up.shape[3] == 1) else {
            throw LoRAError.unloadable(id: id, reason: "layer \(layer): factors \(down.shape) and \(up.shape) are not a LoRA")
        }
        let rank = Float(down.shape[0])
        let scale = alpha.map { $0 / rank } ?? metadata.scale(component: component, layer: layer, rank: rank)
        return LoRAModule(component: component, layer: layer, down: down, up: up, scale: scale)
    }
}

// Convenience: every tensor of a safetensors file (or of a sharded checkpoint's index) widened to Float.

import Foundation
import Tensors

/// All tensors of the safetensors file at `url` (or, for a `*.index.json`, of its shards), widened to Float.
public func loadSafeTensors(_ url: URL) throws -> [String: Tensor] {
    let source: TensorSource = url.lastPathComponent.hasSuffix(".index.json")
        ? try ShardedSafeTensors(indexURL: url) : try SafeTensorsFile(contentsOf: url)
    var tensors: [String: Tensor] = [:]
    for name in source.names { tensors[name] = try source.tensor(name) }
    return tensors
}

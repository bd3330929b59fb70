// Finds a component's weights in its folder: `<base>.fp16.safetensors` (or its sharded index) when present —
// the variant the Livepeer runner loads on a GPU whenever a model folder holds one, and often the only weights a
// node downloads —, else `<base>.safetensors` or a sharded `<base>.safetensors.index.json`.

import Foundation
import SafeTensors

/// A component folder holds no weights this engine can read.
public struct CheckpointNotFound: Error, CustomStringConvertible {
    public let directory: String
    public let tried: [String]
    public var description: String {
        "no weights in \(directory): looked for \(tried.joined(separator: ", "))"
    }
}

/// Opens the checkpoint of the component in `directory` (e.g. base name `diffusion_pytorch_model`).
public func openCheckpoint(in directory: URL, baseName: String) throws -> TensorSource {
    let candidates = ["\(baseName).fp16.safetensors", "\(baseName).fp16.safetensors.index.json",
                      "\(baseName).safetensors", "\(baseName).safetensors.index.json"]
    for name in candidates {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { continue }
        return name.hasSuffix(".index.json") ? try ShardedSafeTensors(indexURL: url) : try SafeTensorsFile(contentsOf: url)
    }
    throw CheckpointNotFound(directory: directory.path, tried: candidates)
}

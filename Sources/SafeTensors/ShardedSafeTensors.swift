// A checkpoint split over several safetensors files, opened through its `*.safetensors.index.json`
// (`{"metadata": {...}, "weight_map": {tensor name: shard file}}`); every shard is opened and checked up front.

import Foundation
import Tensors

/// A sharded safetensors checkpoint read through its index; answers tensors across all shards.
public final class ShardedSafeTensors: TensorSource {
    /// Tensor name → shard file name, as the index states it.
    public let weightMap: [String: String]
    /// The index's `metadata` entries whose values are strings or numbers (numbers as their literal text).
    public let metadata: [String: String]
    /// The tensor names of the weight map, in byte order of their UTF-8 spelling.
    public let names: [String]
    private let shards: [String: SafeTensorsFile]

    /// Reads the index at `indexURL`, maps every shard next to it, and checks each listed tensor exists.
    public init(indexURL: URL) throws {
        let index = try ShardedSafeTensors.readIndex(indexURL)
        weightMap = index.weightMap
        metadata = index.metadata
        names = weightMap.keys.sorted(by: utf8Precedes)

        let directory = indexURL.deletingLastPathComponent()
        var shards: [String: SafeTensorsFile] = [:]
        for shardName in Set(weightMap.values).sorted() {
            let shardURL = directory.appendingPathComponent(shardName)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw SafeTensorsError.shardMissing(shard: shardName, indexPath: indexURL.path)
            }
            shards[shardName] = try SafeTensorsFile(contentsOf: shardURL)
        }
        for name in names {
            let shardName = weightMap[name] ?? ""
            if shards[shardName]?.info(name) == nil {
                throw SafeTensorsError.tensorMissingFromShard(name: name, shard: shardName)
            }
        }
        self.shards = shards
    }

    /// The shard file holding the named tensor, or nil if the index does not list it.
    public func shard(containing name: String) -> SafeTensorsFile? {
        weightMap[name].flatMap { shards[$0] }
    }

    /// The header entry of the named tensor in its shard, or nil.
    public func info(_ name: String) -> SafeTensorsTensorInfo? { shard(containing: name)?.info(name) }

    /// The named tensor widened to Float.
    public func tensor(_ name: String) throws -> Tensor {
        guard let shard = shard(containing: name) else { throw SafeTensorsError.tensorNotFound(name) }
        return try shard.tensor(name)
    }

    /// The tensor's bytes inside its mapped shard, valid while this object is alive.
    /// The named tensor as a layer weight, from its shard (see `SafeTensorsFile.layerWeight`).
    public func layerWeight(_ name: String) throws -> LayerWeight {
        guard let shard = shard(containing: name) else { throw SafeTensorsError.tensorNotFound(name) }
        return try shard.layerWeight(name)
    }

    /// Releases every shard's mapped pages (see `TensorSource.releaseResidentPages`).
    public func releaseResidentPages() { shards.values.forEach { $0.releaseResidentPages() } }
    public var halfPrecisionBytes: Int { shards.values.reduce(0) { $0 + $1.halfPrecisionBytes } }

    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let shard = shard(containing: name) else { throw SafeTensorsError.tensorNotFound(name) }
        return try shard.rawBytes(name)
    }

    private static func readIndex(_ url: URL) throws -> (weightMap: [String: String], metadata: [String: String]) {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidIndex(path: url.path, reason: reason) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError.cannotOpen(path: url.path, reason: error.localizedDescription)
        }
        let bytes = [UInt8](data)
        guard StrictJSONParser.isValidUTF8(bytes) else { throw invalid("not valid UTF-8") }
        let root: JSONValue
        do { root = try StrictJSONParser.parse(bytes) } catch let error as JSONSyntaxError {
            throw invalid("not valid JSON: \(error)")
        }
        guard case let .object(members) = root else { throw invalid("expected a JSON object") }
        guard let mapValue = members.first(where: { $0.key == "weight_map" })?.value,
              case let .object(entries) = mapValue else { throw invalid("missing \"weight_map\" object") }
        var weightMap: [String: String] = [:]
        for (name, value) in entries {
            guard case let .string(shard) = value else { throw invalid("shard of \"\(name)\" is not a string") }
            guard weightMap.updateValue(shard, forKey: name) == nil else { throw invalid("\"\(name)\" listed twice") }
        }
        var metadata: [String: String] = [:]
        if case let .object(fields)? = members.first(where: { $0.key == "metadata" })?.value {
            for (key, value) in fields {
                switch value {
                case let .string(text): metadata[key] = text
                case let .number(number): metadata[key] = number.text
                default: continue
                }
            }
        }
        return (weightMap, metadata)
    }
}

// LoRA ids → loaded LoRAs: ids resolve like model ids under the model root; in the folder the diffusers default
// `pytorch_lora_weights.safetensors`, else its only `.safetensors` file. The 12 most recently used stay loaded.

import Foundation

/// Finds and keeps loaded LoRAs.
public final class LoRALibrary: @unchecked Sendable {
    /// The diffusers default weight file name.
    public static let defaultWeightName = "pytorch_lora_weights.safetensors"
    /// How many LoRAs stay loaded (the runner's `LORA_MAX_LOADED`).
    public static let defaultCapacity = 12

    public let store: ModelStore
    public let capacity: Int
    /// Whether an id may also be a path to a LoRA folder or `.safetensors` file (the CLI; never the server).
    public let allowsPaths: Bool
    /// Most recently used last.
    private var loaded: [LoRAWeights] = []
    private let lock = NSLock()

    /// A library resolving ids under `store`'s root, keeping up to `capacity` LoRAs loaded.
    public init(store: ModelStore = ModelStore(), capacity: Int = LoRALibrary.defaultCapacity,
                allowsPaths: Bool = false) {
        self.store = store
        self.capacity = max(capacity, 1)
        self.allowsPaths = allowsPaths
    }

    /// The LoRA `id`, from the cache or read from its file.
    public func load(_ id: String) throws -> LoRAWeights {
        if let cached = cached(id) { return cached }
        let weights = try LoRAWeights(id: id, file: try weightFile(for: id))
        lock.lock()
        defer { lock.unlock() }
        loaded.removeAll { $0.id == id }
        loaded.append(weights)
        if loaded.count > capacity { loaded.removeFirst(loaded.count - capacity) }
        return weights
    }

    /// The ids held in memory, least recently used first.
    public var loadedIDs: [String] {
        lock.lock()
        defer { lock.unlock() }
        return loaded.map(\.id)
    }

    private func cached(_ id: String) -> LoRAWeights? {
        lock.lock()
        defer { lock.unlock() }
        guard let index = loaded.firstIndex(where: { $0.id == id }) else { return nil }
        let weights = loaded.remove(at: index)
        loaded.append(weights)
        return weights
    }

    /// The weight file of `id`.
    public func weightFile(for id: String) throws -> URL {
        if allowsPaths, let file = try pathFile(id) { return file }
        do { _ = try ModelStore.validatedParts(of: id) } catch {
            throw LoRAError.unloadable(id: id, reason: "\(error)")
        }
        guard let folder = try? store.resolveID(id) else { throw LoRAError.repositoryNotFound(id: id) }
        return try Self.weightFile(in: folder, id: id)
    }

    /// `pytorch_lora_weights.safetensors` in `folder`, else its only `.safetensors` file.
    static func weightFile(in folder: URL, id: String) throws -> URL {
        let preferred = folder.appendingPathComponent(defaultWeightName)
        if FileManager.default.fileExists(atPath: preferred.path) { return preferred }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard names.count == 1 else {
            let found = names.joined(separator: ", ")
            throw LoRAError.unloadable(id: id, reason: names.isEmpty
                ? "no .safetensors file in \(folder.path)"
                : "several .safetensors files and no \(defaultWeightName) in \(folder.path): \(found)")
        }
        return folder.appendingPathComponent(names[0])
    }

    /// For a path id: the file itself, or the weight file of the folder; nil when nothing exists there.
    private func pathFile(_ id: String) throws -> URL? {
        var isDirectory: ObjCBool = false
        guard id.hasPrefix("/") || id.hasPrefix("."),
              FileManager.default.fileExists(atPath: id, isDirectory: &isDirectory) else { return nil }
        let url = URL(fileURLWithPath: id)
        return isDirectory.boolValue ? try Self.weightFile(in: url, id: id) : url
    }
}

// Model id → folder, as the Livepeer runner resolves them: a path, or a Hugging Face id under the model root
// (`--model-dir`, else $MODEL_DIR, else ~/.lpData/models) as a plain folder `<root>/<org>/<name>` or the hub
// cache `<root>/models--<org>--<name>/snapshots/<refs/main>`.

import Foundation

/// Resolving a model id failed.
public enum ModelStoreError: Error, CustomStringConvertible, Equatable {
    case invalidID(String, reason: String)
    case notFound(id: String, searched: [String])

    public var description: String {
        switch self {
        case let .invalidID(id, reason): return "invalid model id '\(id)': \(reason)"
        case let .notFound(id, searched):
            return "model '\(id)' not found; looked in: \(searched.joined(separator: ", "))"
        }
    }
}

/// Finds model folders by path or Hugging Face id under a model root.
public struct ModelStore: Sendable {
    /// The folder holding downloaded models.
    public let root: URL

    /// `root` if given, else `$MODEL_DIR`, else `~/.lpData/models` (the runner's default).
    public init(root: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let root, !root.isEmpty {
            self.root = URL(fileURLWithPath: root)
        } else if let fromEnvironment = environment["MODEL_DIR"], !fromEnvironment.isEmpty {
            self.root = URL(fileURLWithPath: fromEnvironment)
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            self.root = URL(fileURLWithPath: home).appendingPathComponent(".lpData/models")
        }
    }

    /// The folder for `reference`: a path to a model folder (one with `model_index.json`, or `config.json`
    /// for a single component such as a safety checker) is used as is; anything else must be an id
    /// `org/name` (or `name`) found under the root.
    public func resolve(_ reference: String) throws -> URL {
        let asPath = URL(fileURLWithPath: reference)
        for marker in ["model_index.json", "config.json"]
        where FileManager.default.fileExists(atPath: asPath.appendingPathComponent(marker).path) {
            return asPath
        }
        return try resolveID(reference)
    }

    /// The folder of id `org/name` (or `name`) under the root only: the hub cache snapshot, else the plain folder.
    public func resolveID(_ id: String) throws -> URL {
        var isDirectory: ObjCBool = false
        let parts = try ModelStore.validatedParts(of: id)
        let plain = parts.reduce(root) { $0.appendingPathComponent($1) }
        let cache = root.appendingPathComponent("models--" + parts.joined(separator: "--"))
        if let snapshot = ModelStore.snapshot(in: cache) { return snapshot }
        if FileManager.default.fileExists(atPath: plain.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return plain
        }
        throw ModelStoreError.notFound(id: id, searched: [plain.path, cache.appendingPathComponent("snapshots").path])
    }

    /// The id's path components; refuses anything that could leave the model root.
    public static func validatedParts(of id: String) throws -> [String] {
        if id.isEmpty { throw ModelStoreError.invalidID(id, reason: "it is empty") }
        if id.hasPrefix("/") { throw ModelStoreError.invalidID(id, reason: "it starts with '/'") }
        if id.contains("\\") { throw ModelStoreError.invalidID(id, reason: "it contains a backslash") }
        if id.contains("\0") { throw ModelStoreError.invalidID(id, reason: "it contains a NUL character") }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.contains(where: \.isEmpty) { throw ModelStoreError.invalidID(id, reason: "it has an empty part") }
        if parts.contains(where: { $0 == ".." || $0 == "." }) {
            throw ModelStoreError.invalidID(id, reason: "'.' and '..' are not allowed")
        }
        return parts
    }

    /// `<cache>/snapshots/<rev>` with `<rev>` from `refs/main`, or the only snapshot when there is no ref.
    static func snapshot(in cache: URL) -> URL? {
        let snapshots = cache.appendingPathComponent("snapshots")
        if let ref = try? String(contentsOf: cache.appendingPathComponent("refs/main"), encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            let folder = snapshots.appendingPathComponent(revision)
            if !revision.isEmpty, !revision.contains("/"), FileManager.default.fileExists(atPath: folder.path) { return folder }
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []
        return entries.count == 1 ? snapshots.appendingPathComponent(entries[0]) : nil
    }
}

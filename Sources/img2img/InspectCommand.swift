// `img2img inspect --model DIR`: the components of a diffusers model folder, their classes, configs,
// parameter counts and stored dtypes, read from the files without loading any weights.

import ArgumentParser
import Foundation
import SafeTensors

/// Prints what a diffusers model folder contains.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a model folder's components, configs, parameter counts and dtypes.")

    @Option(help: "A diffusers model folder.")
    var model: String

    func run() throws {
        let root = URL(fileURLWithPath: model)
        let index = root.appendingPathComponent("model_index.json")
        if let data = try? Data(contentsOf: index),
           let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            print("pipeline: \(object["_class_name"] as? String ?? "?") (diffusers \(object["_diffusers_version"] as? String ?? "?"))")
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        for name in entries {
            let folder = root.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            try describe(component: name, folder: folder)
        }
    }

    private func describe(component: String, folder: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let configName = files.first { $0 == "config.json" || $0 == "scheduler_config.json" || $0 == "preprocessor_config.json" }
        var header = "\n[\(component)]"
        if let configName, let data = try? Data(contentsOf: folder.appendingPathComponent(configName)),
           let config = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            header += " \(config["_class_name"] as? String ?? config["architectures"].map { "\($0)" } ?? "")"
            print(header)
            for key in config.keys.sorted() where !key.hasPrefix("_") {
                print("  \(key): \(compact(config[key]!))")
            }
        } else {
            print(header)
            print("  files: \(files.joined(separator: ", "))")
        }
        for file in files where file.hasSuffix(".safetensors") {
            let weights = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(file))
            var counts: [String: Int] = [:]
            for name in weights.names {
                if let info = weights.info(name) { counts[info.dtype.rawValue, default: 0] += info.elementCount }
            }
            let total = counts.values.reduce(0, +)
            let dtypes = counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
            print("  \(file): \(weights.names.count) tensors, \(formatCount(total)) parameters (\(dtypes))")
        }
    }

    private func compact(_ value: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]),
           let text = String(data: data, encoding: .utf8) { return text }
        return "\(value)"
    }

    private func formatCount(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.1fM", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}

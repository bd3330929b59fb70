// A diffusers model folder's `model_index.json`: the pipeline class (`_class_name`) and, per component folder,
// the library class that loads it — `"unet": ["diffusers", "UNet2DConditionModel"]` — or `[null, null]` for a
// component the folder does not have (an SDXL refiner has no `text_encoder`). Which components exist is the
// folder's business; a pipeline asks for the ones it needs by name and class.

import Foundation

/// The parsed `model_index.json` of a model folder.
public struct ModelIndex: Sendable {
    public let folder: URL
    /// `_class_name`: the diffusers pipeline class the folder was saved from.
    public let className: String
    /// Component folder → its class name, for the components present (listed and not null).
    public let components: [String: String]
    /// The pipeline's boolean settings (`requires_aesthetics_score`, `force_zeros_for_empty_prompt`, …).
    public let flags: [String: Bool]

    /// Reads `folder/model_index.json`.
    public init(folder: URL) throws {
        let url = folder.appendingPathComponent("model_index.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let name = object["_class_name"] as? String else {
            throw PipelineError.unsupportedModel("\(url.path) is missing or has no _class_name")
        }
        self.folder = folder
        className = name
        var present: [String: String] = [:], flags: [String: Bool] = [:]
        for (key, value) in object where !key.hasPrefix("_") {
            if let entry = value as? [Any], entry.count == 2, let componentClass = entry[1] as? String {
                present[key] = componentClass
            } else if let flag = value as? Bool {
                flags[key] = flag
            }
        }
        components = present
        self.flags = flags
    }

    /// The folder of component `name`, which must be present and, when `classes` is given, of one of them.
    public func folder(of name: String, classes: Set<String>? = nil) throws -> URL {
        guard let found = components[name] else {
            throw PipelineError.unsupportedModel("\(className) needs a \(name), and model_index.json lists none")
        }
        guard classes?.contains(found) ?? true else {
            throw PipelineError.unsupportedModel(
                "\(name) is a \(found); this engine loads \((classes ?? []).sorted().joined(separator: " or ")) there")
        }
        return folder.appendingPathComponent(name)
    }
}

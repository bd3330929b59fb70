// Which safety checker a deployment runs: `none`, an id or path given by the user, the model folder's own
// `safety_checker/`, or the runner's default `CompVis/stable-diffusion-safety-checker` in the model root.
// A checker that is enabled but cannot be loaded stops start-up with a message saying how to disable it.

import Foundation
import Safety

/// Loading the configured safety checker failed.
public struct SafetyCheckerUnavailable: Error, CustomStringConvertible {
    public let reference: String
    public let reason: String
    public var description: String {
        "cannot load the safety checker '\(reference)': \(reason). Download it into the model root "
            + "(e.g. huggingface-cli download \(SafetyCheckerLocator.defaultID) --local-dir <model root>/\(SafetyCheckerLocator.defaultID)), "
            + "point --safety-checker at a checker folder, or pass --safety-checker none to run without one "
            + "(every image then reports nsfw: false)."
    }
}

/// Finds and loads the safety checker for a model.
public enum SafetyCheckerLocator {
    /// The checker the Livepeer runner loads.
    public static let defaultID = "CompVis/stable-diffusion-safety-checker"

    /// The checker for `option` (nil: the model's own, else the default id; "none": no checker).
    public static func load(option: String?, modelFolder: URL?, store: ModelStore) throws -> SafetyChecker? {
        if option?.lowercased() == "none" { return nil }
        if option == nil, let modelFolder {
            let bundled = modelFolder.appendingPathComponent("safety_checker")
            if FileManager.default.fileExists(atPath: bundled.appendingPathComponent("config.json").path) {
                let processor = modelFolder.appendingPathComponent("feature_extractor/preprocessor_config.json")
                return try wrap(bundled.path) {
                    try SafetyChecker(directory: bundled,
                                      preprocessorConfig: FileManager.default.fileExists(atPath: processor.path) ? processor : nil)
                }
            }
        }
        let reference = option ?? defaultID
        return try wrap(reference) { try SafetyChecker(directory: try store.resolve(reference)) }
    }

    private static func wrap(_ reference: String, _ body: () throws -> SafetyChecker) throws -> SafetyChecker {
        do { return try body() } catch {
            throw SafetyCheckerUnavailable(reference: reference, reason: "\(error)")
        }
    }
}

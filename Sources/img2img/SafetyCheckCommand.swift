// `img2img safety-check IMAGE…`: runs the safety checker on existing images and prints one JSON line each:
// {"file":…,"nsfw":…,"concept_scores":[…],"special_scores":[…]} — for auditing outputs.

import ArgumentParser
import Foundation
import Images
import Pipelines

/// Audits images with the CLIP safety checker.
struct SafetyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safety-check", abstract: "Run the safety checker on images; one JSON line per image.")

    @Option(help: "Checker model id or folder (default \(SafetyCheckerLocator.defaultID)).")
    var safetyChecker: String = SafetyCheckerLocator.defaultID
    @Option(help: "Model root for ids (default $MODEL_DIR, else ~/.lpData/models).") var modelDir: String?
    @Argument(help: "PNG or JPEG files.") var images: [String]

    func run() throws {
        guard let checker = try SafetyCheckerLocator.load(option: safetyChecker, modelFolder: nil,
                                                          store: ModelStore(root: modelDir)) else {
            throw ValidationError("--safety-checker none leaves nothing to run")
        }
        for file in images {
            let image = try ImageDecoder.decode(Data(contentsOf: URL(fileURLWithPath: file)))
            let result = try checker.check([image])[0]
            let line: [String: Any] = ["file": file, "nsfw": result.nsfw,
                                       "concept_scores": result.conceptScores, "special_scores": result.specialScores]
            let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

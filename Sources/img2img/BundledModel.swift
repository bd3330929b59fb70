// Where the small bundled test model lives: weights/tiny-sd, found relative to the executable or the
// working directory (the repository root when run through make).

import Foundation

/// The bundled random-weight test model (proves the pipeline; it does not make pretty pictures).
enum BundledModel {
    /// The id the server reports for it.
    static let id = "img2img/tiny-sd"

    /// Its folder: $IMG2IMG_BUNDLED_MODEL, else weights/tiny-sd under the working directory or above the binary.
    static var path: String {
        if let override = ProcessInfo.processInfo.environment["IMG2IMG_BUNDLED_MODEL"] { return override }
        return weightsFolder("tiny-sd")
    }

    /// `weights/<name>` under the working directory or above the binary (the first that exists).
    static func weightsFolder(_ name: String) -> String {
        let candidates = [FileManager.default.currentDirectoryPath + "/weights/\(name)"]
            + ancestors(of: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath())
            .map { $0.appendingPathComponent("weights/\(name)").path }
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }

    private static func ancestors(of url: URL) -> [URL] {
        var result: [URL] = [], current = url.deletingLastPathComponent()
        while current.path != "/" { result.append(current); current = current.deletingLastPathComponent() }
        return result
    }
}

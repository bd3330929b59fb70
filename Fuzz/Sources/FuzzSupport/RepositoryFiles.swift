// Where a fuzz target finds the repository's files (the bundled tokenizer): `IMG2IMG_ROOT` when set, else the
// checkout this source file was compiled from (Fuzz/Sources/FuzzSupport/ → three folders up).

import Foundation

/// Files of the img2img checkout, for fuzz targets that load fixed data once.
public enum RepositoryFiles {
    /// The repository root.
    public static var root: URL {
        if let override = ProcessInfo.processInfo.environment["IMG2IMG_ROOT"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `path` (relative to the repository root) as a file URL.
    public static func url(_ path: String) -> URL { root.appendingPathComponent(path) }
}

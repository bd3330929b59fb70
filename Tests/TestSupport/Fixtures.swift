// Locates the committed parity fixtures (Tests/Fixtures, found from this file's path) and loads them.

import Foundation
import SafeTensors
import Tensors

/// The committed fixture files under `Tests/Fixtures`.
public enum Fixtures {
    /// The `Tests/Fixtures` directory of this checkout.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TestSupport/
        .deletingLastPathComponent()   // Tests/
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The fixture at `relativePath` under `Tests/Fixtures`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// Every tensor of the `.safetensors` fixture at `relativePath`, widened to Float.
    public static func tensors(_ relativePath: String) throws -> [String: Tensor] {
        try loadSafeTensors(url(relativePath))
    }
}

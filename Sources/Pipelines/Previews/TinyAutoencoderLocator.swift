// Where a model's tiny autoencoder is installed: TAESD for SD1.x/2.x latents, TAESDXL for SDXL's, found under the
// model root as `<root>/taesd` or as the Hugging Face id `madebyollin/taesd` (plain folder or hub cache).

import Foundation

/// Finds the tiny autoencoder of a model family under a model root.
public enum TinyAutoencoderLocator {
    /// The Hugging Face organisation that publishes TAESD and TAESDXL.
    public static let organisation = "madebyollin"

    /// The folder of tiny autoencoder `name` ("taesd", "taesdxl") under `root`, if one holds a `config.json`,
    /// and the places looked at (for the error when none does).
    public static func locate(_ name: String, under root: URL?) -> (folder: URL?, searched: [String]) {
        guard let root else { return (nil, []) }
        let plain = root.appendingPathComponent(name)
        let candidates = [plain, (try? ModelStore(root: root.path).resolveID("\(organisation)/\(name)"))]
        let found = candidates.compactMap { $0 }.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("config.json").path)
        }
        let searched = [plain.path, root.appendingPathComponent("\(organisation)/\(name)").path,
                        root.appendingPathComponent("models--\(organisation)--\(name)").path]
        return (found, searched)
    }
}

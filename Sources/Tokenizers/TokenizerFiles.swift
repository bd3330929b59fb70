// Reads the files a tokenizer folder can ship: tokenizer.json (what transformers 5 writes) or vocab.json +
// merges.txt (what the Hub's SD repos ship), plus tokenizer_config.json and special_tokens_map.json.
// Like transformers, tokenizer.json wins when both forms are present; only its vocabulary, merges and added
// tokens are used (CLIPTokenizer rebuilds the normaliser, pre-tokenizer and post-processor itself).

import Foundation

/// The raw contents of a tokenizer folder, before transformers' rules combine them.
struct TokenizerFiles {
    var vocabulary: [String: Int]
    var merges: [(String, String)]
    /// The file the merges came from, for error messages.
    var mergesSource: String
    /// `tokenizer_config.json`, empty when absent.
    var config: [String: Any]
    /// `special_tokens_map.json`, nil when absent.
    var specialTokensMap: [String: Any]?
    /// The `added_tokens` of `tokenizer.json` (id, token), empty for the vocab.json form.
    var serializedAddedTokens: [(id: Int, token: AddedToken)]

    /// Reads the tokenizer files in `directory`.
    static func read(directory: URL) throws -> TokenizerFiles {
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        let vocabJSON = directory.appendingPathComponent("vocab.json")
        let mergesText = directory.appendingPathComponent("merges.txt")
        var files: TokenizerFiles
        if exists(tokenizerJSON) {
            files = try readSerialized(tokenizerJSON)
        } else if exists(vocabJSON) && exists(mergesText) {
            files = TokenizerFiles(vocabulary: try readVocabulary(vocabJSON), merges: try readMerges(mergesText),
                                   mergesSource: mergesText.path, config: [:], specialTokensMap: nil,
                                   serializedAddedTokens: [])
        } else {
            throw TokenizerError.missingFiles(directory: directory.path)
        }
        let configFile = directory.appendingPathComponent("tokenizer_config.json")
        if exists(configFile) { files.config = try readObject(configFile) }
        let mapFile = directory.appendingPathComponent("special_tokens_map.json")
        if exists(mapFile) { files.specialTokensMap = try readObject(mapFile) }
        return files
    }

    private static func exists(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private static func contents(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: try contents(url))
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.malformedFile(path: url.path, reason: "\(error)")
        }
    }

    private static func readVocabulary(_ url: URL) throws -> [String: Int] {
        try decode([String: Int].self, url)
    }

    /// merges.txt as the `tokenizers` BPE reads it: "#version" lines skipped, every other line "left right".
    private static func readMerges(_ url: URL) throws -> [(String, String)] {
        guard let text = String(data: try contents(url), encoding: .utf8) else {
            throw TokenizerError.malformedFile(path: url.path, reason: "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var merges: [(String, String)] = []
        merges.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.malformedFile(path: url.path,
                                                   reason: "line \(index + 1) is not two tokens separated by a space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        return merges
    }

    private static func readObject(_ url: URL) throws -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try contents(url))
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.malformedFile(path: url.path, reason: "invalid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.malformedFile(path: url.path, reason: "the top level is not a JSON object")
        }
        return dictionary
    }

    private static func readSerialized(_ url: URL) throws -> TokenizerFiles {
        let serialized = try decode(SerializedTokenizer.self, url)
        if let type = serialized.model.type, type != "BPE" {
            throw TokenizerError.unsupportedSetting(name: "model.type in \(url.path)", value: type)
        }
        var merges: [(String, String)] = []
        for (index, entry) in serialized.model.merges.enumerated() {
            guard entry.parts.count == 2 else {
                throw TokenizerError.malformedFile(path: url.path, reason: "merge \(index + 1) is not a pair")
            }
            merges.append((entry.parts[0], entry.parts[1]))
        }
        let added = (serialized.addedTokens ?? []).map { entry in
            (id: entry.id, token: AddedToken(content: entry.content, singleWord: entry.singleWord ?? false,
                                             lstrip: entry.lstrip ?? false, rstrip: entry.rstrip ?? false,
                                             normalized: entry.normalized ?? !(entry.special ?? false),
                                             special: entry.special ?? false))
        }
        return TokenizerFiles(vocabulary: serialized.model.vocab, merges: merges, mergesSource: url.path,
                              config: [:], specialTokensMap: nil, serializedAddedTokens: added)
    }
}

/// The parts of `tokenizer.json` a CLIP tokenizer uses.
private struct SerializedTokenizer: Decodable {
    struct Model: Decodable {
        let type: String?
        let vocab: [String: Int]
        let merges: [Merge]
    }

    /// A merge is stored as "left right" (tokenizers < 0.20) or as ["left", "right"].
    struct Merge: Decodable {
        let parts: [String]

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let pair = try? container.decode([String].self) {
                parts = pair
            } else {
                parts = try container.decode(String.self).split(separator: " ", omittingEmptySubsequences: false)
                    .map(String.init)
            }
        }
    }

    struct Added: Decodable {
        let id: Int
        let content: String
        let singleWord: Bool?
        let lstrip: Bool?
        let rstrip: Bool?
        let normalized: Bool?
        let special: Bool?

        enum CodingKeys: String, CodingKey {
            case id, content, lstrip, rstrip, normalized, special
            case singleWord = "single_word"
        }
    }

    let model: Model
    let addedTokens: [Added]?

    enum CodingKeys: String, CodingKey {
        case model
        case addedTokens = "added_tokens"
    }
}

// Errors raised while reading a tokenizer folder: each names the file and what is wrong with it, so a user can
// fix or replace the file.

import Foundation

/// Why a tokenizer folder could not be loaded.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The folder has neither `tokenizer.json` nor the pair `vocab.json` + `merges.txt`.
    case missingFiles(directory: String)
    /// A file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// A file is not the JSON / text layout a CLIP tokenizer uses.
    case malformedFile(path: String, reason: String)
    /// A merge names a token that is not in the vocabulary (nor is the merged result).
    case mergeOutsideVocabulary(path: String, line: Int, merge: String)
    /// A special or added token is not in the vocabulary, so the text encoder would have no embedding for it.
    case tokenOutsideVocabulary(token: String)
    /// A special token the tokenizer needs (BOS, EOS, UNK, padding) is set to null.
    case missingSpecialToken(name: String)
    /// `model_max_length` cannot hold BOS + EOS or is not a usable context length.
    case invalidModelMaxLength(value: String)
    /// A setting has a value this implementation does not support.
    case unsupportedSetting(name: String, value: String)

    public var description: String {
        switch self {
        case .missingFiles(let directory):
            return "no tokenizer in \(directory): expected tokenizer.json, or vocab.json together with merges.txt"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedFile(let path, let reason):
            return "\(path) is not a valid CLIP tokenizer file: \(reason)"
        case .mergeOutsideVocabulary(let path, let line, let merge):
            return "\(path) line \(line): merge \"\(merge)\" uses a token that is not in the vocabulary"
        case .tokenOutsideVocabulary(let token):
            return "special token \"\(token)\" is not in the vocabulary; the tokenizer files do not belong together"
        case .missingSpecialToken(let name):
            return "\(name) is null in the tokenizer files; a CLIP tokenizer needs it"
        case .invalidModelMaxLength(let value):
            return "model_max_length \(value) is not a usable context length (expected 2 ... 4096, SD uses 77)"
        case .unsupportedSetting(let name, let value):
            return "tokenizer setting \(name) = \(value) is not supported"
        }
    }
}

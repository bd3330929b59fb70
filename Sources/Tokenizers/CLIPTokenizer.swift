// transformers' CLIPTokenizer (the tokenizers-backed one of transformers 5.23) as the SD pipelines call it:
// added tokens cut out of the raw text → CLIP normaliser → added tokens cut out of the normalised text →
// CLIP pre-tokenizer → byte-level BPE, then BOS + at most maxLength−2 ids + EOS, padded to maxLength.

import Foundation

/// The CLIP BPE tokenizer of a Stable Diffusion model folder, id-for-id equal to transformers' CLIPTokenizer.
public struct CLIPTokenizer: Sendable {
    /// Length of every encoded prompt (`model_max_length`, 77 for all SD text encoders).
    public let maxLength: Int
    /// Id that fills a prompt up to `maxLength`: 49407 (<|endoftext|>) for SD 1.x, 0 ("!") for SD 2.x.
    public let padTokenID: Int
    /// Id of the start-of-text token that opens every encoded prompt.
    public let bosTokenID: Int
    /// Id of the end-of-text token that closes every encoded prompt.
    public let eosTokenID: Int
    /// Id that stands for a byte missing from the vocabulary.
    public let unknownTokenID: Int

    private let rawTextTokens: AddedTokenMatcher
    private let normalizedTextTokens: AddedTokenMatcher
    private let encoder: BytePairEncoder
    private let truncatesLeft: Bool
    private let padsLeft: Bool

    /// Loads `tokenizer.json`, or `vocab.json` + `merges.txt`, with the special-token files of `directory`.
    public init(directory: URL) throws {
        let files = try TokenizerFiles.read(directory: directory)
        let settings = try TokenizerSettings(files: files, directory: directory)
        func id(_ token: String) throws -> Int {
            guard let id = files.vocabulary[token] else { throw TokenizerError.tokenOutsideVocabulary(token: token) }
            return id
        }
        maxLength = settings.maxLength
        padTokenID = try id(settings.pad)
        bosTokenID = try id(settings.bos)
        eosTokenID = try id(settings.eos)
        unknownTokenID = try id(settings.unknown)
        var raw: [AddedTokenMatcher.Pattern] = []
        var normalized: [AddedTokenMatcher.Pattern] = []
        for token in settings.addedTokens {
            let scalars = Array(token.content.unicodeScalars)
            if token.normalized {
                normalized.append(.init(scalars: CLIPNormalizer.normalize(scalars), id: try id(token.content),
                                        token: token))
            } else {
                raw.append(.init(scalars: scalars, id: try id(token.content), token: token))
            }
        }
        rawTextTokens = AddedTokenMatcher(patterns: raw, skipsSpecialTokens: settings.splitSpecialTokens)
        normalizedTextTokens = AddedTokenMatcher(patterns: normalized.filter { !$0.scalars.isEmpty },
                                                 skipsSpecialTokens: settings.splitSpecialTokens)
        encoder = try BytePairEncoder(vocabulary: files.vocabulary, merges: files.merges, unknownID: unknownTokenID,
                                      mergesSource: files.mergesSource)
        truncatesLeft = settings.truncatesLeft
        padsLeft = settings.padsLeft
    }

    /// The ids of `text` without BOS, EOS, truncation or padding (`tokenizer(text, add_special_tokens=False)`).
    public func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in rawTextTokens.split(Array(text.unicodeScalars)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let rawText):
                for piece in normalizedTextTokens.split(CLIPNormalizer.normalize(rawText)) {
                    switch piece {
                    case .token(let id):
                        ids.append(id)
                    case .text(let normalizedText):
                        for word in CLIPPreTokenizer.words(normalizedText) {
                            ids.append(contentsOf: encoder.encode(word))
                        }
                    }
                }
            }
        }
        return ids
    }

    /// `maxLength` ids: BOS, the first maxLength−2 ids of `text`, EOS, then padding
    /// (`tokenizer(text, padding="max_length", max_length=maxLength, truncation=True)`).
    public func encode(_ text: String) -> [Int] {
        var content = tokenize(text)
        let room = maxLength - 2
        if content.count > room {
            content = truncatesLeft ? Array(content.suffix(room)) : Array(content.prefix(room))
        }
        let ids = [bosTokenID] + content + [eosTokenID]
        let padding = [Int](repeating: padTokenID, count: maxLength - ids.count)
        return padsLeft ? padding + ids : ids + padding
    }
}

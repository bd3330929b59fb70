// The special tokens, added tokens and length settings of a tokenizer folder, combined from the config files
// and tokenizer.json by the rules transformers 5.23's `CLIPTokenizer.from_pretrained` applies.

import Foundation

/// The special tokens, added tokens and length settings of one tokenizer folder.
///
/// The rules matter because they decide how text such as "!" or "<|ENDOFTEXT|>" is tokenized:
///  - with `added_tokens_decoder` in tokenizer_config.json, special_tokens_map.json is ignored; without it,
///    special_tokens_map.json overrides the config and tokenizer.json's `added_tokens` take its place;
///  - a named special token given as a plain string becomes a raw-text (not normalised) match;
///  - tokens are added in the order decoder entries (by id), bos, eos, unk, sep, pad, cls, mask, extras, and a
///    later entry for the same text replaces the earlier one's options (so SD 1.x's plain-string pad token
///    makes <|endoftext|> a raw-text match even though eos_token says "normalized": true).
struct TokenizerSettings {
    static let namedTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                                 "mask_token"]
    /// CLIPTokenizer's constructor defaults.
    static let defaults: [String: String] = ["bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                                             "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]
    /// The context length of every CLIP text encoder SD uses, when the config does not say.
    static let defaultMaxLength = 77

    var bos: String
    var eos: String
    var unknown: String
    var pad: String
    /// Every added token once, with the options that won, in the order they were first added.
    var addedTokens: [AddedToken]
    var maxLength: Int
    /// `split_special_tokens`: special tokens in the text are tokenized as ordinary text.
    var splitSpecialTokens: Bool
    var truncatesLeft: Bool
    var padsLeft: Bool

    /// Applies transformers' rules to the files' special-token entries.
    init(files: TokenizerFiles, directory: URL) throws {
        let configPath = directory.appendingPathComponent("tokenizer_config.json").path
        let mapPath = directory.appendingPathComponent("special_tokens_map.json").path
        let config = files.config

        var named: [String: SpecialTokenValue?] = [:]
        for key in Self.namedTokenKeys {
            if let raw = config[key] {
                named[key] = try Self.value(raw, key: key, forcedSpecial: false, path: configPath)
            }
        }
        var extras = try Self.valueList(config["extra_special_tokens"] ?? config["additional_special_tokens"],
                                        forcedSpecial: false, path: configPath)

        var decoder: [(id: Int, token: AddedToken)]
        if let rawDecoder = config["added_tokens_decoder"] {
            decoder = try Self.addedTokensDecoder(rawDecoder, path: configPath)
        } else {
            if let map = files.specialTokensMap {
                for key in Self.namedTokenKeys {
                    if let raw = map[key] {
                        named[key] = try Self.value(raw, key: key, forcedSpecial: true, path: mapPath)
                    }
                }
                let mapExtras = try Self.valueList(map["extra_special_tokens"], forcedSpecial: true, path: mapPath)
                if let mapExtras {
                    extras = (extras ?? []) + mapExtras.filter { !(extras ?? []).contains($0) }
                }
                if extras == nil {
                    extras = try Self.valueList(map["additional_special_tokens"], forcedSpecial: true, path: mapPath)
                }
            }
            decoder = files.serializedAddedTokens
        }
        decoder.sort { $0.id < $1.id }

        // A named token that names a decoder entry takes that entry's options.
        let decoderByContent = Dictionary(decoder.map { ($0.token.content, $0.token) }, uniquingKeysWith: { $1 })
        for key in Self.namedTokenKeys {
            if case .some(.some(let value)) = named[key], let entry = decoderByContent[value.content] {
                named[key] = .token(entry)
            }
        }
        func required(_ key: String) throws -> String {
            switch named[key] {
            case .none: return Self.defaults[key] ?? ""
            case .some(.none): throw TokenizerError.missingSpecialToken(name: key)
            case .some(.some(let value)): return value.content
            }
        }
        bos = try required("bos_token")
        eos = try required("eos_token")
        unknown = try required("unk_token")
        pad = try required("pad_token")

        var namedValues: [SpecialTokenValue] = []
        for key in Self.namedTokenKeys {
            switch named[key] {
            case .none: if let text = Self.defaults[key] { namedValues.append(.text(text)) }
            case .some(.none): break
            case .some(.some(let value)): namedValues.append(value)
            }
        }
        addedTokens = Self.addOrder(decoder: decoder.map(\.token), named: namedValues, extras: extras ?? [])
        maxLength = try Self.maxLength(config["model_max_length"] ?? config["max_len"])
        splitSpecialTokens = (config["split_special_tokens"] as? Bool) ?? false
        truncatesLeft = try Self.side(config["truncation_side"], name: "truncation_side")
        padsLeft = try Self.side(config["padding_side"], name: "padding_side")
    }

    /// TokenizersBackend.__init__: which tokens reach `add_tokens`, and which options each text ends up with.
    private static func addOrder(decoder: [AddedToken], named: [SpecialTokenValue], extras: [SpecialTokenValue])
        -> [AddedToken]
    {
        let decoderContents = Set(decoder.map(\.content))
        var toAdd: [SpecialTokenValue] = decoder.map { .token($0) }
        for value in named + extras where !decoderContents.contains(value.content) && !toAdd.contains(value) {
            toAdd.append(value)
        }
        let namedContents = Set(named.map(\.content))
        var order: [String] = []
        var final: [String: AddedToken] = [:]
        for value in toAdd {
            var token = value.addedToken
            if namedContents.contains(token.content) { token.special = true }
            if token.content.isEmpty { continue }
            if final[token.content] == nil { order.append(token.content) }
            final[token.content] = token
        }
        return order.compactMap { final[$0] }
    }

    /// A special-token entry: a string, an AddedToken object, or null (nil).
    /// `forcedSpecial` reproduces special_tokens_map.json's `AddedToken(**value, special=True)`.
    private static func value(_ raw: Any, key: String, forcedSpecial: Bool, path: String) throws
        -> SpecialTokenValue?
    {
        if raw is NSNull { return nil }
        if let text = raw as? String { return .text(text) }
        if let object = raw as? [String: Any] {
            return .token(try addedToken(object, forcedSpecial: forcedSpecial, path: path, field: key))
        }
        throw TokenizerError.malformedFile(path: path, reason: "\(key) is neither a string nor a token object")
    }

    private static func valueList(_ raw: Any?, forcedSpecial: Bool, path: String) throws -> [SpecialTokenValue]? {
        guard let raw, !(raw is NSNull) else { return nil }
        guard let list = raw as? [Any] else {
            throw TokenizerError.unsupportedSetting(name: "extra_special_tokens in \(path)", value: "a non-list value")
        }
        return try list.compactMap {
            try value($0, key: "extra_special_tokens", forcedSpecial: forcedSpecial, path: path)
        }
    }

    /// `AddedToken(**object)`: missing options default to false, `normalized` to `not special`.
    private static func addedToken(_ object: [String: Any], forcedSpecial: Bool, path: String, field: String) throws
        -> AddedToken
    {
        guard let content = object["content"] as? String else {
            throw TokenizerError.malformedFile(path: path, reason: "\(field) has no string \"content\"")
        }
        func flag(_ name: String) throws -> Bool? {
            guard let raw = object[name], !(raw is NSNull) else { return nil }
            guard let value = raw as? Bool else {
                throw TokenizerError.malformedFile(path: path, reason: "\(field).\(name) is not true or false")
            }
            return value
        }
        let special = forcedSpecial ? true : (try flag("special") ?? false)
        return AddedToken(content: content, singleWord: try flag("single_word") ?? false,
                          lstrip: try flag("lstrip") ?? false, rstrip: try flag("rstrip") ?? false,
                          normalized: try flag("normalized") ?? !special, special: special)
    }

    private static func addedTokensDecoder(_ raw: Any, path: String) throws -> [(id: Int, token: AddedToken)] {
        guard let entries = raw as? [String: Any] else {
            throw TokenizerError.malformedFile(path: path, reason: "added_tokens_decoder is not an object")
        }
        return try entries.map { key, value in
            guard let id = Int(key), let object = value as? [String: Any] else {
                throw TokenizerError.malformedFile(path: path, reason: "added_tokens_decoder entry \(key) is invalid")
            }
            return (id, try addedToken(object, forcedSpecial: false, path: path, field: "added_tokens_decoder.\(key)"))
        }
    }

    private static func maxLength(_ raw: Any?) throws -> Int {
        guard let raw, !(raw is NSNull) else { return defaultMaxLength }
        guard let number = raw as? NSNumber else {
            throw TokenizerError.invalidModelMaxLength(value: "\(raw)")
        }
        let value = number.doubleValue
        guard value >= 2, value <= 4096, value.rounded() == value else {
            throw TokenizerError.invalidModelMaxLength(value: number.stringValue)
        }
        return Int(value)
    }

    private static func side(_ raw: Any?, name: String) throws -> Bool {
        guard let raw, !(raw is NSNull) else { return false }
        switch raw as? String {
        case "right": return false
        case "left": return true
        default: throw TokenizerError.unsupportedSetting(name: name, value: "\(raw)")
        }
    }
}

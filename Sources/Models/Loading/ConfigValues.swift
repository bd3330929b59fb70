// Config fields that diffusers accepts in two forms (a scalar for every block, or one value per block),
// and the error for a config value outside what this engine implements.

import Foundation

/// A config field that is either one value for all blocks or a list with one value per block.
public enum PerBlock<Value: Decodable & Equatable>: Decodable, Equatable {
    case all(Value)
    case each([Value])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([Value].self) {
            self = .each(list)
        } else {
            self = .all(try container.decode(Value.self))
        }
    }

    /// The per-block values for `blocks` blocks; a list of the wrong length is a config error.
    public func values(blocks: Int, field: String) throws -> [Value] {
        switch self {
        case let .all(value): return Array(repeating: value, count: blocks)
        case let .each(list):
            guard list.count == blocks else {
                throw ConfigError.unsupported(field: field, value: "\(list)",
                                              supported: "one value or a list of \(blocks) (one per block)")
            }
            return list
        }
    }
}

/// A model config that cannot be read, or asks for something this engine does not implement.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unsupported(field: String, value: String, supported: String)
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupported(field, value, supported):
            return "config field `\(field)` = \(value) is not supported (supported: \(supported))"
        case let .unreadable(file, reason):
            return "cannot read config \(file): \(reason)"
        }
    }
}

/// Decodes a config file, wrapping decoding errors in a `ConfigError` that names the file.
public func decodeConfig<Config: Decodable>(_ type: Config.Type, from url: URL) throws -> Config {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ConfigError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
    }
    return try decodeConfig(type, from: data, file: url.path)
}

/// Decodes the bytes of a config file; `file` names it in the `ConfigError` that wraps a decoding error.
public func decodeConfig<Config: Decodable>(_ type: Config.Type, from data: Data, file: String) throws -> Config {
    do { return try JSONDecoder().decode(type, from: data) } catch let error as ConfigError {
        throw error
    } catch {
        throw ConfigError.unreadable(file: file, reason: "\(error)")
    }
}

/// Checks what GroupNorm and the derived widths need of `block_out_channels` and `norm_num_groups`: at least one
/// block, positive widths small enough that 4× (the UNet's time embedding) cannot overflow, and a positive group
/// count dividing every width. Shared by the UNet and VAE configs.
func validateBlockChannels(_ blockOutChannels: [Int], normNumGroups: Int) throws {
    guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 && $0 <= Int.max / 4 }) else {
        throw ConfigError.unsupported(field: "block_out_channels", value: "\(blockOutChannels)",
                                      supported: "one or more positive widths")
    }
    guard normNumGroups > 0 else {
        throw ConfigError.unsupported(field: "norm_num_groups", value: "\(normNumGroups)", supported: "a positive count")
    }
    for channels in blockOutChannels where channels % normNumGroups != 0 {
        throw ConfigError.unsupported(field: "norm_num_groups", value: "\(normNumGroups)",
                                      supported: "a divisor of every block_out_channels entry (\(channels))")
    }
}

extension KeyedDecodingContainer {
    /// The value for `key`, or `fallback` when the key is absent or null (diffusers' default).
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

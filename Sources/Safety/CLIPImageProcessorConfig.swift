// A CLIP image processor's preprocessor_config.json, in both forms found on the Hub: the legacy one
// (`"size": 224`, `"crop_size": 224`, no rescale keys — openai/clip-vit-base-patch32) and the current one
// (`{"shortest_edge": 224}`, `{"height": 224, "width": 224}`); absent fields take CLIPImageProcessor's defaults.

import Foundation
import Images
import Models

/// The settings of transformers' `CLIPImageProcessor`, decoded from `preprocessor_config.json`.
public struct CLIPImageProcessorConfig: Decodable, Equatable {
    /// How `size` resizes an image.
    public enum ResizeTarget: Equatable {
        /// Scale so the shorter side is this long; the longer side is `int(size · long / short)` (truncated).
        case shortestEdge(Int)
        /// Resize to exactly this size.
        case exact(width: Int, height: Int)
    }

    public var doResize = true
    public var size = ResizeTarget.shortestEdge(224)
    public var resample = ResampleFilter.bicubic
    public var doCenterCrop = true
    public var cropWidth = 224
    public var cropHeight = 224
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]

    /// The settings of openai/clip-vit-base-patch32's preprocessor_config.json (the runner's safety checker
    /// processor), used when a checker folder has none.
    public static let openAICLIPViTBasePatch32 = CLIPImageProcessorConfig()

    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize", size, resample, doCenterCrop = "do_center_crop", cropSize = "crop_size"
        case doRescale = "do_rescale", rescaleFactor = "rescale_factor", doNormalize = "do_normalize"
        case imageMean = "image_mean", imageStd = "image_std"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPImageProcessorConfig()
        doResize = try c.decodeIfPresent(Bool.self, forKey: .doResize) ?? d.doResize
        if let field = try c.decodeIfPresent(SizeField.self, forKey: .size) {
            size = try field.resizeTarget()
        }
        if let code = try c.decodeIfPresent(Int.self, forKey: .resample) {
            resample = try Self.filter(pillowCode: code)
        }
        doCenterCrop = try c.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? d.doCenterCrop
        if let field = try c.decodeIfPresent(SizeField.self, forKey: .cropSize) {
            (cropWidth, cropHeight) = try field.cropSize()
        }
        doRescale = try c.decodeIfPresent(Bool.self, forKey: .doRescale) ?? d.doRescale
        rescaleFactor = try c.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? d.rescaleFactor
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? d.doNormalize
        imageMean = try c.decodeIfPresent(PerChannel.self, forKey: .imageMean)?.values(field: "image_mean") ?? d.imageMean
        imageStd = try c.decodeIfPresent(PerChannel.self, forKey: .imageStd)?.values(field: "image_std") ?? d.imageStd
    }

    /// The Pillow filter numbered `code` in `PIL.Image.Resampling`, among those `Images` implements.
    static func filter(pillowCode code: Int) throws -> ResampleFilter {
        switch code {
        case 1: return .lanczos
        case 2: return .bilinear
        case 3: return .bicubic
        default:
            throw ConfigError.unsupported(field: "resample", value: "\(code)",
                                          supported: "1 (lanczos), 2 (bilinear), 3 (bicubic)")
        }
    }
}

/// A `size` / `crop_size` value: an int, a `{"shortest_edge"}` or `{"height", "width"}` object, or `[h, w]`.
private struct SizeField: Decodable {
    var scalar: Int?
    var shortestEdge: Int?, height: Int?, width: Int?
    var otherKeys: [String] = []

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let value = try? single.decode(Int.self) {
            scalar = value
        } else if let single = try? decoder.singleValueContainer(), let pair = try? single.decode([Int].self),
                  pair.count == 2 {
            (height, width) = (pair[0], pair[1])
        } else {
            let c = try decoder.container(keyedBy: AnyKey.self)
            for key in c.allKeys {
                let value = try c.decodeIfPresent(Int.self, forKey: key)
                switch key.stringValue {
                case "shortest_edge": shortestEdge = value
                case "height": height = value
                case "width": width = value
                default: if value != nil { otherKeys.append(key.stringValue) }
                }
            }
        }
    }

    /// transformers' `get_size_dict(size, default_to_square=False)` for `size`.
    func resizeTarget() throws -> CLIPImageProcessorConfig.ResizeTarget {
        if let edge = scalar ?? shortestEdge, otherKeys.isEmpty, edge > 0 { return .shortestEdge(edge) }
        if let height, let width, otherKeys.isEmpty, height > 0, width > 0 { return .exact(width: width, height: height) }
        throw ConfigError.unsupported(field: "size", value: description,
                                      supported: "a positive int, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}")
    }

    /// transformers' `get_size_dict(crop_size, default_to_square=True)`: (width, height).
    func cropSize() throws -> (Int, Int) {
        if let side = scalar, side > 0 { return (side, side) }
        if let height, let width, otherKeys.isEmpty, height > 0, width > 0 { return (width, height) }
        throw ConfigError.unsupported(field: "crop_size", value: description,
                                      supported: "a positive int or {\"height\": h, \"width\": w}")
    }

    private var description: String {
        if let scalar { return "\(scalar)" }
        let parts = [("shortest_edge", shortestEdge), ("height", height), ("width", width)]
            .compactMap { name, value in value.map { "\(name): \($0)" } } + otherKeys.map { "\($0): …" }
        return "{\(parts.joined(separator: ", "))}"
    }
}

/// `image_mean` / `image_std`: one value for every channel, or one per channel (RGB: three).
private enum PerChannel: Decodable {
    case all(Double)
    case each([Double])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let list = try? c.decode([Double].self) { self = .each(list) } else { self = .all(try c.decode(Double.self)) }
    }

    func values(field: String) throws -> [Double] {
        switch self {
        case let .all(value): return [value, value, value]
        case let .each(list):
            guard list.count == 3 else {
                throw ConfigError.unsupported(field: field, value: "\(list)", supported: "one value or three (R, G, B)")
            }
            return list
        }
    }
}

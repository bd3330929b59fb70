// Reads a component's parameters by checkpoint key and keeps books: every key asked for but absent, every
// shape that differs, and every key in the file that nothing asked for — all reported together by name.
// Over a `WeightRecorder` it reads nothing and reports nothing: each request is noted for the recorder instead.

import SafeTensors
import Tensors

/// One problem found while loading a component's weights.
public enum WeightProblem: Equatable, CustomStringConvertible, Sendable {
    case missing(key: String, expectedShape: [Int])
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case unexpected(key: String)
    case unreadable(key: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(key, shape): return "missing key \(key) (expected shape \(shape))"
        case let .shapeMismatch(key, expected, found): return "shape mismatch for \(key): expected \(expected), found \(found)"
        case let .unexpected(key): return "unexpected key \(key)"
        case let .unreadable(key, reason): return "cannot read \(key): \(reason)"
        }
    }
}

/// Loading a component failed: the checkpoint does not fit the architecture its config describes.
public struct WeightLoadError: Error, CustomStringConvertible {
    public let component: String
    public let problems: [WeightProblem]

    public var description: String {
        let shown = problems.prefix(20).map { "  - \($0)" }.joined(separator: "\n")
        let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
        return "\(component): the weights do not match the config (\(problems.count) problem(s)):\n\(shown)\(more)"
    }
}

/// A component's checkpoint, read key by key; `finish()` reports what was missing, mis-shaped or left over.
public final class Weights {
    /// Where the weights are read from.
    public let source: TensorSource
    private let prefix: String
    private let ignoredKeys: (String) -> Bool
    private let recorder: WeightRecorder?
    private var used: Set<String> = []
    private var problems: [WeightProblem] = []
    /// Every Linear and Conv2d built from these weights: layer key → weight shape as the layer computes with it
    /// (`[out, in]` or `[out, in, kh, kw]`); what a LoRA may patch.
    public private(set) var layerShapes: [String: [Int]] = [:]

    /// Reads keys `prefix + key` from `source`; `ignoring` marks buffers that may be present but are not
    /// parameters (e.g. CLIP's `position_ids`).
    public init(source: TensorSource, prefix: String = "", ignoring: @escaping (String) -> Bool = { _ in false }) {
        self.source = source
        self.prefix = prefix
        self.ignoredKeys = ignoring
        recorder = source as? WeightRecorder
    }

    /// The scope for keys under `path` (e.g. `down_blocks.0.resnets.1`).
    public func scope(_ path: String = "") -> WeightScope { WeightScope(weights: self, path: path) }

    /// The tensor stored under `key`, which must have `shape`; a zero tensor stands in when it is
    /// missing or mis-shaped, and the problem is recorded for `finish()`.
    public func tensor(_ key: String, shape: [Int]) -> Tensor {
        if let recorder { return recorder.recordTensor(prefix + key, shape: shape) }
        return read(key, shape: shape, as: { try $0.tensor($1) }, shapeOf: \.shape, reshape: { $0.reshaped($1) })
            ?? Tensor(zeros: shape)
    }

    /// The Linear or Conv2d weight stored under `key`, in its stored precision (F16 stays half); checked
    /// like `tensor(_:shape:)`.
    public func layerWeight(_ key: String, shape: [Int]) -> LayerWeight {
        if let recorder { return recorder.recordLayerWeight(prefix + key, shape: shape) }
        return read(key, shape: shape, as: { try $0.layerWeight($1) }, shapeOf: \.shape, reshape: { $0.reshaped($1) })
            ?? LayerWeight(Tensor(zeros: shape))
    }

    /// Reads `key` with `load`, recording a missing, mis-shaped or unreadable value (nil) for `finish()`.
    private func read<Value>(_ key: String, shape: [Int], as load: (TensorSource, String) throws -> Value,
                             shapeOf: (Value) -> [Int], reshape: (Value, [Int]) -> Value) -> Value? {
        let fullKey = prefix + key
        used.insert(fullKey)
        guard source.names.contains(fullKey) else {
            problems.append(.missing(key: fullKey, expectedShape: shape))
            return nil
        }
        do {
            let value = try load(source, fullKey)
            let found = shapeOf(value)
            guard found == shape else {
                // A [out, in] linear stored as a [out, in, 1, 1] conv (and back) is the same parameter.
                if Tensor.elementCount(of: found) == Tensor.elementCount(of: shape), Weights.isOneByOneVariant(found, shape) {
                    return reshape(value, shape)
                }
                problems.append(.shapeMismatch(key: fullKey, expected: shape, found: found))
                return nil
            }
            return value
        } catch {
            problems.append(.unreadable(key: fullKey, reason: "\(error)"))
            return nil
        }
    }

    /// Whether the checkpoint holds `key` (under the prefix).
    public func contains(_ key: String) -> Bool { source.names.contains(prefix + key) }

    /// Records a Linear or Conv2d at `key` with its weight shape.
    func registerLayer(_ key: String, weightShape: [Int]) { layerShapes[key] = weightShape }

    /// Throws a `WeightLoadError` naming every missing, mis-shaped and unexpected key.
    public func finish(component: String) throws {
        let unexpected = source.names.filter { $0.hasPrefix(prefix) && !used.contains($0) && !ignoredKeys($0) }
        let all = problems + unexpected.map { WeightProblem.unexpected(key: $0) }
        if !all.isEmpty { throw WeightLoadError(component: component, problems: all) }
    }

    private static func isOneByOneVariant(_ a: [Int], _ b: [Int]) -> Bool {
        let (long, short) = a.count > b.count ? (a, b) : (b, a)
        return short.count == 2 && long.count == 4 && Array(long.prefix(2)) == short && long[2] == 1 && long[3] == 1
    }
}

/// A position in the key hierarchy: `scope["attn1"]["to_q"].tensor("weight", …)` reads `attn1.to_q.weight`.
public struct WeightScope {
    let weights: Weights
    /// The dotted key prefix of this scope, without a trailing dot.
    public let path: String

    /// The child scope `path.name`.
    public subscript(_ name: String) -> WeightScope {
        WeightScope(weights: weights, path: key(name))
    }

    /// The child scope `path.index` (for `ModuleList` entries).
    public subscript(_ index: Int) -> WeightScope { self[String(index)] }

    /// The parameter `path.name` with the given shape.
    public func tensor(_ name: String, shape: [Int]) -> Tensor {
        weights.tensor(key(name), shape: shape)
    }

    /// The layer weight `path.name` with the given shape, in its stored precision.
    public func layerWeight(_ name: String, shape: [Int]) -> LayerWeight {
        weights.layerWeight(key(name), shape: shape)
    }

    /// Whether the checkpoint holds `path.name`.
    public func contains(_ name: String) -> Bool { weights.contains(key(name)) }

    /// Records the Linear or Conv2d at this scope's path (see `Weights.layerShapes`); returns the path.
    func registerLayer(weightShape: [Int]) -> String {
        weights.registerLayer(path, weightShape: weightShape)
        return path
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
}

extension Weights {
    /// Like `finish`, but without the unexpected-key check: for a second reader of a file whose other keys
    /// belong to another reader (e.g. `text_projection` beside `text_model.*`).
    public func finishIgnoringUnused(component: String) throws {
        if !problems.isEmpty { throw WeightLoadError(component: component, problems: problems) }
    }
}

// The parameters of each component, learnt from the engine's own model constructors: each model is built from its
// config over a `WeightRecorder`, which notes every key and shape the constructor asks for, in order. Synthesis
// therefore writes exactly what the loader reads. Each parameter's role is read off the record: a vector `weight`
// is a norm's scale and the `bias` beside it the norm's shift; other biases are biases; the table of a module
// named `*_embedding` is an embedding; every other weight is a matrix whose fan-in is its shape after the first
// extent (in features × kernel area).

import Models

/// Every parameter of the CLIP text encoder a config describes (Hub names, `text_model.` prefix; plus
/// `text_projection` for `CLIPTextModelWithProjection`).
public func clipTextParameters(_ config: CLIPTextConfig, withProjection: Bool = false) throws -> [ParameterSpec] {
    try recordedParameters { _ = try CLIPTextModel(config: config, source: $0, withProjection: withProjection) }
}

/// Every parameter of the UNet a config describes, with diffusers' names.
public func unetParameters(_ config: UNet2DConditionConfig) throws -> [ParameterSpec] {
    try recordedParameters { _ = try UNet2DConditionModel(config: config, weights: Weights(source: $0)) }
}

/// Every parameter of the VAE a config describes, with diffusers' names.
public func vaeParameters(_ config: AutoencoderKLConfig) throws -> [ParameterSpec] {
    try recordedParameters { _ = try AutoencoderKL(config: config, weights: Weights(source: $0)) }
}

/// The parameters `build` asks a recorder for, each with the role its key and shape give it.
func recordedParameters(_ build: (WeightRecorder) throws -> Void) rethrows -> [ParameterSpec] {
    let recorder = WeightRecorder()
    try build(recorder)
    let vectors = Set(recorder.requested.filter { $0.shape.count == 1 }.map(\.key))
    return recorder.requested.map { parameter in
        ParameterSpec(parameter.key, parameter.shape, role(of: parameter, vectorWeights: vectors))
    }
}

/// The standard deviation of an embedding table, by module name: positions are drawn narrower than tokens.
private let embeddingStandardDeviations: [String: Float] = ["position_embedding": 0.01]

/// The role of one recorded parameter; `vectorWeights` holds the keys of every rank-1 parameter recorded.
private func role(of parameter: RequestedParameter, vectorWeights: Set<String>) -> ParameterRole {
    var path = parameter.key.split(separator: ".").map(String.init)
    let leaf = path.removeLast()
    let module = path.joined(separator: ".")
    if leaf == "bias" {
        return vectorWeights.contains(module + ".weight") ? .normShift : .bias
    }
    let owner = leaf == "weight" ? path.last ?? leaf : leaf
    if owner.hasSuffix("_embedding") {
        return .embedding(std: embeddingStandardDeviations[owner] ?? 0.02)
    }
    if parameter.shape.count == 1 { return .normScale }
    return .matrix(fanIn: parameter.shape.dropFirst().reduce(1, *))
}

// `--dump DIR`: every intermediate tensor of a run, by stage name, written as one safetensors file so a
// run can be diffed against diffusers stage by stage (names in README.md, "Tensor dumps").

import Foundation
import SafeTensors
import Tensors

/// Collects named intermediate tensors during a generation and writes them as safetensors.
public final class TensorDump {
    public private(set) var entries: [(name: String, tensor: Tensor)] = []
    private var prefix = ""

    public init() {}

    /// Records `tensor` under `name` (with the current image prefix).
    public func record(_ name: String, _ tensor: Tensor) {
        entries.append((prefix + name, tensor))
    }

    /// Records a list of scalars (e.g. timesteps) as a 1-D tensor.
    public func record(_ name: String, values: [Float]) {
        record(name, Tensor(shape: [values.count], values: values))
    }

    /// Names recorded from now on start with `prefix` (e.g. `image1.` for the second image of a request).
    public func setPrefix(_ prefix: String) { self.prefix = prefix }

    /// Writes everything recorded to `url`.
    public func write(to url: URL) throws {
        try SafeTensorsWriter.write(entries, to: url)
    }
}

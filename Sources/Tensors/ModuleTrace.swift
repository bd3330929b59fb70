// Named spans of a model's forward pass — diffusers' module names (`down_blocks.0`, `decoder.mid_block`) — so a
// trace can say where a stage's time, FLOPs and memory go. The models mark their top-level modules; nothing is
// recorded, and the cost is one task-local read per module call, unless a recorder is bound (the pipeline binds
// its trace around each traced stage).

/// What records the spans of the work it is bound around.
public protocol ModuleRecorder: AnyObject {
    /// Runs `body`, the module `name` on an input of shape `inputShape`, recording it with its result's shape.
    func record<T>(module name: String, inputShape: [Int], outputShape: (T) -> [Int], _ body: () throws -> T) rethrows -> T
}

/// The spans of modules, recorded where a `ModuleRecorder` is bound.
public enum ModuleTrace {
    /// The recorder of the work running on this task, if any.
    @TaskLocal public static var recorder: ModuleRecorder?

    /// Runs `body`, the module `name` applied to `input`, as a span when a recorder is bound.
    @inlinable
    public static func span<T>(_ name: @autoclosure () -> String, input: Tensor, outputShape: (T) -> [Int],
                               _ body: () throws -> T) rethrows -> T {
        guard let recorder else { return try body() }
        return try recorder.record(module: name(), inputShape: input.shape, outputShape: outputShape, body)
    }

    /// `span` for a module whose result is a tensor.
    @inlinable
    public static func span(_ name: @autoclosure () -> String, input: Tensor, _ body: () throws -> Tensor) rethrows -> Tensor {
        try span(name(), input: input, outputShape: \.shape, body)
    }
}

extension ModuleTrace {
    /// `span` for a module that takes ownership of its input (so the input's storage can go while it runs).
    @inlinable
    public static func span(_ name: @autoclosure () -> String, consuming input: consuming Tensor,
                            _ body: (consuming Tensor) throws -> Tensor) rethrows -> Tensor {
        guard let recorder else { return try body(consume input) }
        let shape = input.shape
        var slot: Tensor? = consume input
        return try recorder.record(module: name(), inputShape: shape, outputShape: \.shape) {
            let owned = slot!
            slot = nil
            return try body(owned)
        }
    }
}

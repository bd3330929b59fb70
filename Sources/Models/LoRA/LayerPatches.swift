// The LoRA patches of one model component for one request, keyed by layer (`down_blocks.0.….to_q`), and the
// task-local binding through which Linear and Conv2d find them: outside `bind`, layers compute as loaded.

/// The patched layers of one component (UNet or text encoder) for one request.
public final class LayerPatches: @unchecked Sendable {
    /// Layer key (the checkpoint key without `.weight`) → its patch.
    public let patches: [String: LayerPatch]

    /// Patches by layer key.
    public init(_ patches: [String: LayerPatch]) { self.patches = patches }

    /// The patches Linear and Conv2d consult while `bind` runs (nil: plain layers).
    @TaskLocal static var active: LayerPatches?

    /// Runs `body` with these patches applied to the layers it calls on the current thread or task.
    /// Work that `body` hands to other threads (GCD) does not see them: call the model on this thread.
    public func bind<R>(_ body: () throws -> R) rethrows -> R {
        try LayerPatches.$active.withValue(patches.isEmpty ? nil : self, operation: body)
    }

    /// The patch for `key` while a binding is active.
    static func current(_ key: String) -> LayerPatch? { active?.patches[key] }
}

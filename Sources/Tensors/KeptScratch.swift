// Large kernel scratch kept between calls. The Winograd transformed weights take up to ~100 MB a call (16 or
// 36 × out × in floats); freshly allocated each time, every page of them faulted in anew and the transform ran
// at a fraction of memory speed (90 ms instead of 25 for a 1920 → 640 conv). Kept, their pages are faulted in
// once per stage; the pipelines free them when a stage ends.


/// A Float buffer lent to one call at a time and kept for the next (grown when a call needs more).
public final class KeptScratch: Sendable {
    private struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    private let kept = Locked<Buffer?>(nil)

    /// The scratch of the Winograd weight transform.
    static let winogradWeights = KeptScratch()
    private static let all = [winogradWeights]

    /// Runs `body` with room for `count` floats (uninitialised): the kept buffer when it is free and large
    /// enough, else a new one, which is kept afterwards if it is the larger.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let needed = max(count, 1)
        var buffer = kept.withLock { buffer -> Buffer? in
            defer { buffer = nil }
            return buffer
        }
        if let small = buffer, small.capacity < needed {
            small.pointer.deallocate()
            buffer = nil
        }
        let lent = buffer ?? Buffer(pointer: .allocate(capacity: needed), capacity: needed)
        defer { giveBack(lent) }
        return body(lent.pointer)
    }

    /// Keeps `buffer` unless a larger one came back meanwhile (a concurrent call).
    private func giveBack(_ buffer: Buffer) {
        let surplus = kept.withLock { current -> Buffer? in
            guard let other = current else { current = buffer; return nil }
            if other.capacity >= buffer.capacity { return buffer }
            current = buffer
            return other
        }
        surplus?.pointer.deallocate()
    }

    /// Frees every kept buffer and the idle recycled buffers (`RecycledMemory`): their memory leaves the process.
    public static func releaseAll() {
        RecycledMemory.releaseIdle()
        for scratch in all {
            scratch.kept.withLock { buffer -> Buffer? in
                defer { buffer = nil }
                return buffer
            }?.pointer.deallocate()
        }
    }
}

// Large tensor buffers kept after use for the next tensor of the same size. A denoising loop allocates the same
// few dozen sizes over and over (each layer's output, the GEGLU projection, the skip connections); fresh from
// the allocator, a large buffer comes back as unmapped pages, and the first writes into it — a bias fill, a
// kernel's output — page-fault every 4 KB. Kept, a buffer's pages stay mapped for the next tensor. What is kept
// idle is bounded, and the pipelines let it all go when a stage ends.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Page-backed buffers of at least `minimumBytes`, mapped directly and recycled by size.
public enum RecycledMemory {
    /// Smaller buffers go to the ordinary allocator.
    public static let minimumBytes = 1 << 20
    /// At most this many bytes are kept idle; beyond it the buffers idle longest are unmapped first.
    public static let idleBudget = 128 << 20

    /// Bytes now kept idle.
    public static var idleBytes: Int { idle.withLock { $0.bytes } }

    /// A mapping and its length.
    private typealias Buffer = (pointer: UnsafeMutableRawPointer, bytes: Int)

    private struct Idle: @unchecked Sendable {
        var buffers: [Buffer] = []
        var bytes = 0
    }

    private static let idle = Locked(Idle())

    /// Room for `count` floats (uninitialised, 64-byte aligned): a recycled buffer when it takes at least
    /// `minimumBytes`, else one from the ordinary allocator. Give it back with `deallocate(_:floats:)`.
    static func allocate(floats count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = bytes >= minimumBytes ? take(roundedSize(bytes)) : .allocate(byteCount: bytes, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Returns a buffer from `allocate(floats: count)`.
    static func deallocate(_ pointer: UnsafeMutablePointer<Float>, floats count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= minimumBytes {
            giveBack(UnsafeMutableRawPointer(pointer), bytes: roundedSize(bytes))
        } else {
            pointer.deallocate()
        }
    }

    /// Bytes a request of `byteCount` occupies: whole 64 KB units, so near sizes share buffers.
    private static func roundedSize(_ byteCount: Int) -> Int {
        let unit = 1 << 16
        return (byteCount + unit - 1) / unit * unit
    }

    /// A buffer of `bytes` (as rounded by `roundedSize`): a kept one of that size, else a new mapping.
    private static func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        let kept = idle.withLock { idle -> UnsafeMutableRawPointer? in
            guard let index = idle.buffers.lastIndex(where: { $0.bytes == bytes }) else { return nil }
            idle.bytes -= bytes
            return idle.buffers.remove(at: index).pointer
        }
        if let kept { return kept }
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else {
            fatalError("out of memory mapping \(bytes) bytes")
        }
        return mapped
    }

    /// Keeps `pointer` (from `take(bytes)`) for a later tensor of the same size, unmapping the buffers idle
    /// longest while the idle total would exceed `idleBudget`.
    private static func giveBack(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let surplus = idle.withLock { idle -> [Buffer] in
            guard bytes <= idleBudget else { return [(pointer, bytes)] }
            idle.buffers.append((pointer, bytes))
            idle.bytes += bytes
            var evicted: [Buffer] = []
            while idle.bytes > idleBudget {
                let oldest = idle.buffers.removeFirst()
                idle.bytes -= oldest.bytes
                evicted.append(oldest)
            }
            return evicted
        }
        for buffer in surplus { munmap(buffer.pointer, buffer.bytes) }
    }

    /// Unmaps every idle buffer (their memory leaves the process).
    public static func releaseIdle() {
        let all = idle.withLock { idle -> [Buffer] in
            let buffers = idle.buffers
            idle = Idle()
            return buffers
        }
        for buffer in all { munmap(buffer.pointer, buffer.bytes) }
    }
}

// glibc heap settings for a long-running inference process: a request allocates and frees tens to hundreds of
// megabytes of activations, which glibc keeps per thread arena at its high-water mark. Two arenas and a trim
// after each job keep the resident size flat from one request to the next. No-ops where glibc is absent.

import Tensors
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide heap tuning.
public enum HeapTuning {
    /// Caps glibc's malloc arenas (`mallopt(M_ARENA_MAX, count)`); call before threads start allocating.
    public static func limitArenas(to count: Int32) {
        #if canImport(Glibc)
        let arenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = mallopt?(arenaMax, count)
        #endif
    }

    /// Returns the kernels' kept scratch and idle recycled buffers, then the free pages of every arena
    /// (`malloc_trim(0)`), to the system.
    public static func releaseFreedMemory() {
        KeptScratch.releaseAll()
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }

    #if canImport(Glibc)
    // glibc's functions from <malloc.h>, which the Glibc module does not export, looked up at run time.
    private static let mallocTrim = symbol("malloc_trim", as: (@convention(c) (Int) -> Int32).self)
    private static let mallopt = symbol("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self)

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
    #endif
}

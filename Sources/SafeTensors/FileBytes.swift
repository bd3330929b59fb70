// The bytes of a whole safetensors file: either the file mapped read-only with mmap (unmapped on
// deinit) or a private copy of an in-memory byte array (freed on deinit).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only byte region that lives as long as this object: a file mapping or an owned copy.
final class FileBytes {
    let buffer: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps the file at `url` read-only (an empty file gives an empty region).
    init(mapping url: URL) throws {
        let path = url.path
        func failure(_ what: String) -> SafeTensorsError {
            .cannotOpen(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure("open failed") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("fstat failed") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            buffer = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw failure("mmap failed")
        }
        buffer = UnsafeRawBufferPointer(start: address, count: size)
        isMapped = true
    }

    /// For a mapping: drops its pages from the resident set (`MADV_DONTNEED`). The mapping is private and never
    /// written, so the next read maps the file's pages again, from the page cache while they are there.
    func releaseResidentPages() {
        guard isMapped, let base = buffer.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), buffer.count, MADV_DONTNEED)
    }

    /// Copies `bytes` into memory this object owns.
    init(copying bytes: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        copy.copyBytes(from: bytes)
        buffer = UnsafeRawBufferPointer(copy)
        isMapped = false
    }

    deinit {
        guard let base = buffer.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
        } else {
            base.deallocate()
        }
    }
}

// What every fuzz target shares: its `main` hands libFuzzer one closure (`runFuzzer`), which sees each input as
// bytes; a thrown error is the parser refusing the input, an ordinary outcome — only crashes, hangs and leaks
// are findings — and `fuzzCheck` traps when a parser breaks one of its own invariants, so libFuzzer reports it.

import CLibFuzzer
import Foundation

/// The closure of the running target (libFuzzer's callback is a C function and cannot capture it).
nonisolated(unsafe) private var currentTarget: (([UInt8]) throws -> Void)?

/// Runs libFuzzer with this process's arguments, calling `target` on every input; exits with libFuzzer's status.
public func runFuzzer(_ target: @escaping ([UInt8]) throws -> Void) -> Never {
    currentTarget = target
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        do { try currentTarget?(bytes) } catch {
            _ = "\(error)"  // the message is part of the parser's answer: build it too
        }
        return 0
    })
}

/// Traps (a finding libFuzzer reports with its input) unless `condition` holds.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
}

/// The input split at its first newline: the head (e.g. a header value) and the rest; no newline: (nil, all).
public func splitFirstLine(_ bytes: [UInt8]) -> (head: String?, rest: [UInt8]) {
    guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return (nil, bytes) }
    return (String(decoding: bytes[..<newline], as: UTF8.self), Array(bytes[(newline + 1)...]))
}

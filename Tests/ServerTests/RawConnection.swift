// A TCP client that says exactly what a test tells it to — half a head, a lying Content-Length, a malformed
// chunk, pipelined requests, a pause, a half-close — and records what came back and how the connection ended.
// It runs on a thread of its own, so blocking socket calls never hold up the server's tasks.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One scripted exchange on a fresh connection to 127.0.0.1.
struct RawConnection {
    /// What the client does, in order.
    enum Action {
        case send([UInt8])
        case pause(Double)
        /// Shuts the client's sending side (the server sees end of input).
        case halfClose
    }

    /// How reading the answer ended.
    enum Ending: Equatable {
        case closedByServer, reset, timedOut, connectFailed
    }

    /// What came back.
    struct Outcome {
        let bytes: [UInt8]
        let ending: Ending
        /// Seconds from the first action to the end of reading.
        let seconds: Double
        /// Whether a send failed because the server had closed.
        let sendFailed: Bool

        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The status codes of every response head received, in order (a body never holds "HTTP/1.1 " here).
        var statuses: [Int] {
            text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
        }
        /// The body of the first response (up to the next response, if any).
        var firstBody: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return text[range.upperBound...].components(separatedBy: "HTTP/1.1 ").first ?? ""
        }
    }

    let port: Int
    let actions: [Action]
    /// How long to wait for the server's answer after the last action.
    var readTimeout: Double = 10

    /// Runs the script on its own thread.
    func run() async -> Outcome {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: runBlocking()) }
            thread.start()
        }
    }

    private func runBlocking() -> Outcome {
        let started = Date()
        let (descriptor, error) = Self.connect(port: port)
        defer { close(descriptor) }
        guard error == 0 else { return Outcome(bytes: [], ending: .connectFailed, seconds: 0, sendFailed: false) }
        var sendFailed = false
        for action in actions {
            switch action {
            case let .send(bytes):
                if !sendAll(descriptor, bytes) { sendFailed = true }
            case let .pause(seconds):
                usleep(useconds_t(seconds * 1e6))
            case .halfClose:
                shutdown(descriptor, Int32(SHUT_WR))
            }
        }
        var timeout = timeval(tv_sec: Int(readTimeout), tv_usec: Int((readTimeout - readTimeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { received += buffer[0..<count]; continue }
            let ending: Ending = count == 0 ? .closedByServer : (errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .reset)
            return Outcome(bytes: received, ending: ending, seconds: Date().timeIntervalSince(started), sendFailed: sendFailed)
        }
    }

    private func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }
}

extension RawConnection {
    /// A TCP socket connected to 127.0.0.1:`port`, and the errno of the connect (0 when it connected).
    static func connect(port: Int) -> (descriptor: Int32, error: Int32) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return (descriptor, result == 0 ? 0 : errno)
    }

    /// A request head for `path` with the given extra header lines.
    static func head(_ headers: [String], method: String = "POST", path: String = "/image-to-image") -> [UInt8] {
        Array(([method + " " + path + " HTTP/1.1", "Host: test"] + headers).joined(separator: "\r\n").utf8) + Array("\r\n\r\n".utf8)
    }

    /// A complete multipart POST of `fields` to /image-to-image.
    static func post(_ fields: [MultipartField], extraHeaders: [String] = []) -> [UInt8] {
        let form = MultipartBody(fields)
        return head(["Content-Type: " + form.contentType, "Content-Length: \(form.bytes.count)"] + extraHeaders) + form.bytes
    }
}

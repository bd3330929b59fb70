// Reading a job's Server-Sent Events in tests: `GET /x/jobs/{id}/events` collected until the server ends the
// stream, parsed into (name, JSON) pairs; keep-alive comments are counted apart.

import AsyncHTTPClient
import Foundation
import NIOCore

/// One event of a stream.
struct StreamEvent {
    let name: String
    let data: [String: Any]
}

/// A whole event stream as the server sent it.
struct EventStream {
    let status: UInt
    let contentType: String?
    let events: [StreamEvent]
    let keepAlives: Int
    /// The raw body (error answers are JSON).
    let body: String

    var names: [String] { events.map(\.name) }

    func first(_ name: String) -> [String: Any]? { events.first { $0.name == name }?.data }

    func all(_ name: String) -> [[String: Any]] { events.filter { $0.name == name }.map(\.data) }

    /// Reads the events of job `id` until the stream ends.
    static func read(from server: TestServer, id: String, token: String? = nil) async throws -> EventStream {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/x/jobs/\(id)/events")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let (response, body) = try await server.send(request)
        let contentType = response.headers.first(name: "content-type")
        var events: [StreamEvent] = [], keepAlives = 0
        let blocks = contentType?.hasPrefix("text/event-stream") == true ? body.components(separatedBy: "\n\n") : []
        for block in blocks where !block.isEmpty {
            if block.hasPrefix(":") { keepAlives += 1; continue }
            var name = "message", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] ?? [:]
            events.append(StreamEvent(name: name, data: object))
        }
        return EventStream(status: response.status.code, contentType: contentType,
                           events: events, keepAlives: keepAlives, body: body)
    }
}

/// A fresh job id as the page makes one.
func newJobID() -> String { UUID().uuidString.lowercased() }

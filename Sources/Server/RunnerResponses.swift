// The response shapes of the runner: JSON with `Content-Type: application/json`; errors as
// `{"detail":{"msg":…}}` (its HTTPError), 422 as `{"detail":[…]}` and FastAPI's own 404/405 `{"detail":"…"}`.

import Hummingbird

/// Builders for every response the server sends.
enum RunnerResponses {
    /// A JSON body with the given status.
    static func json(_ body: ResponseJSON, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let bytes = ByteBuffer(string: body.serialized)
        fields[.contentLength] = String(bytes.readableBytes)
        return Response(status: status, headers: fields, body: .init(byteBuffer: bytes))
    }

    /// A JSON document given as text.
    static func json(raw text: String) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The runner's HTTPError: `{"detail":{"msg":message}}`.
    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(errorJSON(message), status: status, headers: headers)
    }

    /// The body of the runner's HTTPError.
    static func errorJSON(_ message: String) -> ResponseJSON {
        .object([("detail", .object([("msg", .string(message))]))])
    }

    /// FastAPI's 422 with every invalid field.
    static func validationFailed(_ issues: [ValidationIssue]) -> Response {
        json(.object([("detail", .array(issues.map(\.json)))]), status: .unprocessableContent)
    }

    /// FastAPI's answer for a path it does not route.
    static func notFound() -> Response {
        json(.object([("detail", .string("Not Found"))]), status: .notFound)
    }

    /// FastAPI's answer for a known path with another method.
    static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> Response {
        var headers = HTTPFields()
        headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return json(.object([("detail", .string("Method Not Allowed"))]), status: .methodNotAllowed, headers: headers)
    }

    /// The runner's 401 for a missing or wrong bearer token.
    static func unauthorized() -> Response {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return error(.unauthorized, "Invalid bearer token.", headers: headers)
    }
}

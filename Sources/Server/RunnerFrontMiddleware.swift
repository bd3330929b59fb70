// The outermost middleware: FastAPI's 404 and 405 bodies for unrouted requests, a 500 in the runner's error
// shape for anything unexpected (the server keeps serving), and one log line per request with its status,
// duration and the handler's notes.

import Hummingbird
import Logging

/// Maps routing failures and unexpected errors to the runner's shapes and logs every request.
struct RunnerFrontMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    /// Routed paths (without trailing slash) and their methods, to tell 405 from 404.
    let routes: [String: [HTTPRequest.Method]]
    let logger: Logger

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = unrouted(request)
        } catch is CancellationError {
            log(request, context: context, status: "cancelled (client disconnected)", started: started)
            throw CancellationError()
        } catch {
            logger.error("unexpected failure", metadata: ["id": "\(context.id)", "error": "\(error)"])
            response = RunnerResponses.error(.internalServerError, "Unexpected server error: \(error)")
        }
        log(request, context: context, status: String(response.status.code), started: started)
        return response
    }

    private func unrouted(_ request: Request) -> Response {
        var path = request.uri.path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if let methods = routes[path], !methods.contains(request.method) {
            return RunnerResponses.methodNotAllowed(allowed: methods)
        }
        return RunnerResponses.notFound()
    }

    private func log(_ request: Request, context: Context, status: String, started: ContinuousClock.Instant) {
        let notes = context.notes.rendered
        let line = "\(request.method) \(request.uri.path) \(status) \((ContinuousClock.now - started).secondsText) "
            + "id=\(context.id)\(notes.isEmpty ? "" : " " + notes)"
        logger.info("\(line)")
    }
}

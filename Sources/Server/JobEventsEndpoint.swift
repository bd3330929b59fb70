// `GET /x/jobs/{id}/events`: a watched job's events as Server-Sent Events (`JobEvent`), behind the same bearer
// token as `POST /image-to-image`. The stream opens at once, replays what it missed, and ends after the job's
// `end` event — or after `unclaimedLifetime` with an `end` saying no request used the id. Keep-alive comments
// keep proxies and clients from closing it while a job waits in the queue. The page reads it with fetch(), which
// (unlike EventSource) can send the Authorization header.

import Hummingbird
import NIOCore

/// The events route of watched jobs.
struct JobEventsEndpoint: Sendable {
    let token: BearerToken?
    let board: JobBoard

    func respond(to request: Request, id: String) -> Response {
        if let token, !token.accepts(authorization: request.headers[.authorization]) { return RunnerResponses.unauthorized() }
        let channel: JobChannel, subscription: JobChannel.Subscription
        do {
            (channel, subscription) = try board.subscribe(id)
        } catch JobWatchRefusal.invalidID {
            return RunnerResponses.error(.badRequest, "\(JobWatchRefusal.invalidID)")
        } catch {
            return RunnerResponses.error(.serviceUnavailable, "\(error)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let policy = board.policy
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Task.sleep(for: policy.unclaimedLifetime)
                    channel.expireUnclaimed(message: "No request named this job within \(policy.unclaimedLifetime.spokenSeconds).")
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: policy.keepAliveInterval)
                        subscription.keepAlive()
                    }
                }
                for await event in subscription.events {
                    try await writer.write(ByteBuffer(string: event.serverSentEvent))
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        })
    }
}

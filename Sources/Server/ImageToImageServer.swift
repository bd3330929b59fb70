// Assembles and runs the HTTP server: the routes on a Hummingbird router behind the runner-shaped front
// middleware, the model loading in the background (health LOADING → OK/ERROR), and a service group in which
// SIGTERM or SIGINT first stops the inference queue from taking work, then lets Hummingbird stop accepting
// connections and finish the requests in flight — the running inference among them — before the process exits;
// after the grace period (`ConnectionPolicy.shutdownGrace`) whatever still runs is cancelled. Each connection is
// guarded (`GuardedHTTP1Channel`) and their number capped.

import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The image-to-image HTTP server.
public final class ImageToImageServer: Sendable {
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let makeBackend: @Sendable () throws -> any ImageGenerationBackend
    private let model = ModelState()
    private let queue: InferenceQueue
    private let board: JobBoard
    private let group = GroupHandle()

    /// `makeBackend` loads the model; it runs on a background thread once the server starts.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "img2img.server"),
                makeBackend: @escaping @Sendable () throws -> any ImageGenerationBackend) {
        self.configuration = configuration
        self.logger = logger
        self.makeBackend = makeBackend
        queue = InferenceQueue(capacity: configuration.limits.queueCapacity)
        board = JobBoard(policy: configuration.jobs)
    }

    /// Serves until a graceful shutdown (one of `shutdownSignals`, or `shutdownGracefully()`) or cancellation.
    /// `onListening` gets the bound port (useful with port 0).
    public func run(shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
                    onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let logger = self.logger
        let modelID = configuration.modelID
        model.load(makeBackend) { phase in
            switch phase {
            case .ready: logger.info("model \(modelID) loaded; health OK")
            case let .failed(reason): logger.error("model \(modelID) failed to load: \(reason)")
            case .loading: break
            }
        }
        let policy = configuration.connections
        let application = Application(
            router: makeRouter(),
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(base: HTTP1Channel(responder: responder), policy: policy)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: nil,
                                 availableConnectionsDelegate: .maximum(policy.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening on \(self.configuration.host):\(port)")
                await onListening(port)
            },
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [application, QueueShutdownService(queue: queue, logger: logger)],
            gracefulShutdownSignals: shutdownSignals,
            logger: logger)
        // Past the grace period everything still running is cancelled: connections close, the running job
        // stops at its next cancellation check, and `run` returns.
        groupConfiguration.maximumGracefulShutdownDuration = policy.shutdownGrace
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let serviceGroup = ServiceGroup(configuration: groupConfiguration)
        group.set(serviceGroup)
        try await serviceGroup.run()
    }

    /// Starts the same shutdown a SIGTERM starts.
    public func shutdownGracefully() async {
        await group.get()?.triggerGracefulShutdown()
    }

    /// The routes, each also answering with a trailing slash as the runner's do: the runner's, then the
    /// playground's extensions (its page, configuration and job events).
    func makeRouter() -> Router<ServerRequestContext> {
        let info = InfoEndpoints(configuration: configuration, model: model)
        let token = BearerToken(configuration.authToken)
        let imageToImage = ImageToImageEndpoint(configuration: configuration, token: token, model: model, queue: queue,
                                                board: board)
        let playground = PlaygroundEndpoints(configuration: configuration, model: model)
        let events = JobEventsEndpoint(token: token, board: board)
        var getRoutes: [(String, @Sendable () -> Response)] = [
            ("/health", { info.health() }), ("/version", { info.version() }),
            ("/hardware/info", { info.hardwareInfo() }), ("/hardware/stats", { info.hardwareStats() }),
            ("/openapi.json", OpenAPIDocument.answer(version: configuration.version)),
            (PlaygroundEndpoints.configPath, { playground.config() }),
        ]
        for asset in PlaygroundEndpoints.assets {
            let answer = PlaygroundEndpoints.answer(asset)
            getRoutes += asset.paths.map { ($0, answer) }
        }
        var methods: [String: [HTTPRequest.Method]] = ["/image-to-image": [.post]]
        for (path, _) in getRoutes { methods[path] = [.get] }

        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: RunnerFrontMiddleware(routes: methods, logger: logger))
        router.post("/image-to-image") { request, context in try await imageToImage.respond(to: request, context: context) }
        for (path, answer) in getRoutes {
            router.get(RouterPath(path)) { _, _ in answer() }
        }
        router.get("/x/jobs/:id/events") { request, context in
            events.respond(to: request, id: try context.parameters.require("id"))
        }
        return router
    }
}

/// Holds the running service group so a shutdown can be triggered from outside.
private final class GroupHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?

    func set(_ group: ServiceGroup) { lock.withLock { self.group = group } }
    func get() -> ServiceGroup? { lock.withLock { group } }
}

/// Waits for the graceful shutdown, then stops the queue: new and waiting requests get 503, the running one finishes.
private struct QueueShutdownService: Service {
    let queue: InferenceQueue
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
            logger.info("shutting down: refusing new requests, finishing the running one")
        } catch {
            // Cancelled: the whole group is going away; stop the inference thread all the same.
        }
        queue.stopAccepting()
    }
}

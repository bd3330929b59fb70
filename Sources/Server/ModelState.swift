// The model's lifecycle as `/health` reports it: LOADING until the backend is built on a background thread,
// then OK with the backend, or ERROR with the reason loading failed.

import Foundation

/// The loading state of the server's model, safe to read from any task.
final class ModelState: @unchecked Sendable {
    enum Phase {
        case loading
        case ready(any ImageGenerationBackend)
        case failed(String)
    }

    private let lock = NSLock()
    private var phase: Phase = .loading

    var current: Phase { lock.withLock { phase } }

    /// The runner's HealthCheck status word.
    var healthStatus: String {
        switch current {
        case .loading: return "LOADING"
        case .ready: return "OK"
        case .failed: return "ERROR"
        }
    }

    /// Builds the backend on a new thread and records the outcome; returns at once.
    func load(_ makeBackend: @escaping @Sendable () throws -> any ImageGenerationBackend,
              completion: @escaping @Sendable (Phase) -> Void = { _ in }) {
        let thread = Thread { [self] in
            let outcome: Phase
            do { outcome = .ready(try makeBackend()) } catch { outcome = .failed("\(error)") }
            lock.withLock { phase = outcome }
            completion(outcome)
        }
        thread.name = "img2img-model-load"
        thread.stackSize = 8 << 20
        thread.start()
    }
}

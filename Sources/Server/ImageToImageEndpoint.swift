// `POST /image-to-image`, step by step in the runner's order: read the body (bounded), validate the form (422),
// check the bearer token (401) and the model id (400), this deployment's limits (400), decode the image, apply
// the runner's rules (`RunnerContract`: seed, LoRA JSON, strength, with its messages), then queue one inference
// (LoRAs load there, their errors answered as the runner's) and answer with PNG data URLs.
// A request whose `X-Img2img-Job` header names a job the playground watches (`JobBoard`) also reports to it —
// plan, queue, steps, previews, trace and the status it was answered with — without changing its answer.
// Where the runner crashes (an upload that is not an image) we answer 400 with a message instead.

import Foundation
import Hummingbird
import Images
import Pipelines

/// The image-to-image route.
struct ImageToImageEndpoint: Sendable {
    let configuration: ServerConfiguration
    let token: BearerToken?
    let model: ModelState
    let queue: InferenceQueue
    let board: JobBoard

    /// Answers one request. The body is read first (bounded: a body declared or sent beyond the limit is refused
    /// at once, and the connection's guard discards the rest); then the client's leaving cancels the work.
    /// Watching for that consumes the connection's inbound stream, so the connection closes after the response:
    /// we say so with `Connection: close`, or a client would send its next request on a connection about to close.
    func respond(to request: Request, context: ServerRequestContext) async throws -> Response {
        var response: Response
        switch try await readBody(of: request) {
        case let .refused(refusal):
            response = refusal
        case let .read(bytes):
            response = try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await respond(to: request, body: bytes, context: context)
            }
        }
        response.headers[.connection] = "close"
        return response
    }

    /// The request body, or the answer refusing it.
    private enum BodyOutcome {
        case read(ByteBuffer)
        case refused(Response)
    }

    private func readBody(of request: Request) async throws -> BodyOutcome {
        let limits = configuration.limits
        let bodyLimit = limits.maxUploadBytes + RequestLimits.formOverheadBytes
        let tooLarge = {
            if let token, !token.accepts(authorization: request.headers[.authorization]) { return RunnerResponses.unauthorized() }
            return RunnerResponses.error(.badRequest, "The request body is larger than the \(bodyLimit)-byte limit "
                + "(an image of at most \(limits.maxUploadBytes) bytes plus the form's text fields; --max-upload-bytes).")
        }
        if let declared = request.contentLength, declared > bodyLimit { return .refused(tooLarge()) }
        do {
            guard let bytes = try await BoundedBody.read(request.body, limit: bodyLimit) else { return .refused(tooLarge()) }
            return .read(bytes)
        } catch let error as RequestReadError {
            // The connection's guard has answered already; this answer is for the log line.
            return .refused(RunnerResponses.error(error.isTimeout ? .requestTimeout : .badRequest, "\(error)"))
        }
    }

    private func respond(to request: Request, body bytes: ByteBuffer, context: ServerRequestContext) async throws -> Response {
        let form: ImageToImageForm
        do {
            form = try ImageToImageForm(SubmittedForm(body: bytes, contentType: request.headers[.contentType]))
        } catch {
            return RunnerResponses.validationFailed(error.issues)
        }
        if let token, !token.accepts(authorization: request.headers[.authorization]) { return RunnerResponses.unauthorized() }
        guard let job = board.claim(request.headers[JobBoard.header]) else {
            return try await respond(to: form, job: nil, context: context)
        }
        context.notes.set("job", "watched")
        do {
            let response = try await respond(to: form, job: job, context: context)
            job.publish(.end(status: Int(response.status.code), message: nil))
            return response
        } catch {
            job.publish(.end(status: nil, message: "The request ended without an answer (its client left, or the server failed: see its log)."))
            throw error
        }
    }

    /// Answers an authorized request's form, reporting to `job` when it is watched.
    private func respond(to form: ImageToImageForm, job: JobChannel?, context: ServerRequestContext) async throws -> Response {
        let limits = configuration.limits
        if !form.modelID.isEmpty, form.modelID != configuration.modelID {
            return RunnerResponses.error(.badRequest,
                                         "pipeline configured with \(configuration.modelID) but called with \(form.modelID).")
        }
        note(form, in: context)
        if let violation = limits.violation(form) { return RunnerResponses.error(.badRequest, violation) }
        let backend: any ImageGenerationBackend
        switch model.current {
        case .loading:
            return RunnerResponses.error(.serviceUnavailable, "The model is still loading; retry when /health reports OK.")
        case let .failed(reason):
            return RunnerResponses.error(.serviceUnavailable, "The model failed to load: \(reason)")
        case let .ready(loaded):
            backend = loaded
        }

        let image: RGBImage
        do {
            image = try ImageDecoder.decode(form.image.bytes, maxPixels: limits.maxImagePixels)
        } catch {
            return RunnerResponses.error(.badRequest, "Could not read the uploaded image: \(error).")
        }
        context.notes.set("size", "\(image.width)x\(image.height)")
        var generation = form.generationRequest
        let seed = generation.seed ?? RunnerContract.randomSeed()  // drawn here so a refused request logs it too
        generation.seed = seed
        context.notes.set("seed", seed)
        let resolved: PipelineRequest
        do {
            resolved = try RunnerContract.resolve(generation, for: backend.profile)
        } catch {
            return RunnerResponses.error(.badRequest, error.message)
        }
        guard resolved.numImages > 0 else { return RunnerResponses.json(.object([("images", .array([]))])) }
        if let warning = backend.profile.requestWarning { context.notes.set("warning", warning.debugDescription) }
        // A schedule the pipeline refuses is answered by the run itself, as the runner answers it.
        if let plan = try? backend.plan(resolved, imageWidth: image.width, imageHeight: image.height) {
            let overrides = RunnerContract.overrides(generation, resolved: resolved, for: backend.profile)
            let accounting = plan.accounting(after: overrides)
            context.notes.set("denoising", accounting.debugDescription)
            let flops = backend.workEstimate?.flops(plan)
            job?.publish(.plan(.init(plan, accounting: accounting, flops: flops)))
            if let flops {
                context.notes.set("tflops", RequestLimits.tera(flops))
                if let violation = limits.costViolation(plan, flops: flops) { return RunnerResponses.error(.badRequest, violation) }
            }
            if let memory = backend.memoryEstimate {
                let peaks = await Self.onEstimatesQueue { memory.stagePeaks(plan) }
                context.notes.set("peak_gb", RequestLimits.giga(Double(peaks[0].bytes)))
                if let violation = limits.memoryViolation(plan, peaks: peaks) { return RunnerResponses.error(.badRequest, violation) }
            }
        }
        return try await generate(image: image, request: resolved, backend: backend, job: job, context: context)
    }

    /// Queues the inference and renders its outcome.
    /// One estimate at a time, off the threads every request's handling shares: a dry run of the VAE at a new
    /// size takes up to seconds, and many clients asking for new sizes at once must queue, not take every core.
    private static let estimates = DispatchQueue(label: "img2img.request-estimates")

    /// `body`'s result, computed on the estimates' queue.
    private static func onEstimatesQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            estimates.async { continuation.resume(returning: body()) }
        }
    }

    private func generate(image: RGBImage, request: PipelineRequest, backend: any ImageGenerationBackend,
                          job: JobChannel?, context: ServerRequestContext) async throws -> Response {
        let outcome: ([ResponseJSON], JobTiming)
        do {
            let timeout = configuration.limits.requestTimeout
            let queued = ContinuousClock.now
            job?.publish(.queued)
            outcome = try await queue.run { shouldContinue in
                let deadline = ContinuousClock.now + timeout
                job?.publish(.started(queueWait: (ContinuousClock.now - queued).seconds))
                let images: [GeneratedImage]
                do {
                    images = try backend.generate(image: image, request: request, watcher: job) {
                        shouldContinue() && ContinuousClock.now < deadline
                    }
                } catch {
                    let stopped = error is CancellationError || error as? PipelineError == .cancelled
                    throw GenerationFailure(underlying: stopped && ContinuousClock.now >= deadline
                                            ? DeadlineExceeded(limit: timeout) : error)
                }
                return try images.map { try $0.responseEntry }  // PNG encoding on the inference thread too
            }
        } catch let failure as GenerationFailure {
            if failure.underlying as? PipelineError == .cancelled || failure.underlying is CancellationError {
                throw CancellationError()
            }
            if let expired = failure.underlying as? DeadlineExceeded {
                context.notes.set("error", "deadline")
                return RunnerResponses.error(.serviceUnavailable, "\(expired)")
            }
            context.notes.set("error", String(describing: failure.underlying).debugDescription)
            if let lora = failure.underlying as? LoRAError {
                // The runner's LoraLoadingError: 400 with its text and the period its route appends.
                if let details = lora.details { context.notes.set("lora_details", details.debugDescription) }
                return RunnerResponses.error(.badRequest, "\(lora).")
            }
            if failure.underlying is AfterGenerationFailure {
                // The runner's route answers exceptions outside the diffusers call with its generic 500.
                return RunnerResponses.error(.internalServerError, "Image-to-image pipeline error.")
            }
            // The runner wraps every exception of the diffusers call in InferenceError (400, "…: <error>.").
            return RunnerResponses.error(.badRequest, "Error during model execution: \(failure.underlying).")
        } catch let refusal as InferenceQueueError {
            switch refusal {
            case let .full(capacity):
                return RunnerResponses.error(.serviceUnavailable,
                                             "The server is busy: one request is running and \(capacity) are waiting; retry later.")
            case .stopped:
                return RunnerResponses.error(.serviceUnavailable, "The server is shutting down; retry on another runner.")
            case .cancelled:
                throw CancellationError()
            }
        }
        context.notes.set("queue_wait", outcome.1.queueWait.secondsText)
        context.notes.set("inference", outcome.1.run.secondsText)
        return RunnerResponses.json(.object([("images", .array(outcome.0))]))
    }

    private func note(_ form: ImageToImageForm, in context: ServerRequestContext) {
        context.notes.set("steps", form.numInferenceSteps)
        context.notes.set("strength", PythonFloatRepr.string(form.strength))
        context.notes.set("guidance", PythonFloatRepr.string(form.guidanceScale))
        context.notes.set("images", form.numImagesPerPrompt)
        context.notes.set("prompt_chars", form.prompt.count)
    }
}

/// A run stopped because it reached the per-request time limit.
private struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration

    var description: String {
        "The request ran for this server's limit of \(limit.spokenSeconds) (--request-timeout) and was stopped."
    }
}

/// An error thrown by the model itself (as opposed to the server around it).
private struct GenerationFailure: Error {
    let underlying: Error
}

extension GeneratedImage {
    /// The image as the response lists it: `{"url": "data:image/png;base64,…", "seed": …, "nsfw": …}`.
    var responseEntry: ResponseJSON {
        get throws {
            let url = "data:image/png;base64," + Data(try image.pngData()).base64EncodedString()
            return .object([("url", .string(url)), ("seed", .int(seed)), ("nsfw", .bool(nsfw))])
        }
    }
}

extension Request {
    /// The Content-Length header as a number, when present and valid.
    var contentLength: Int? { headers[.contentLength].flatMap { Int($0) } }
}

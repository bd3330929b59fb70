// Every way a verification can fail before any image is judged: the runner cannot be reached or refuses the
// request (its own message is kept), its answer is not the API's shape, an image is missing or unreadable, or
// a seed is not the one the request implies. `img2img verify` exits 2 on each of them (1 means "an image
// differs").

/// A verification that could not compare images.
public enum VerificationError: Error, Equatable, CustomStringConvertible {
    /// The runner's URL is not an http(s) URL.
    case invalidRunnerURL(String)
    /// No HTTP answer came back (connection refused, DNS, timeout …).
    case runnerUnreachable(url: String, reason: String)
    /// The runner answered with a status other than 200; `message` is its own error text.
    case runnerRefused(status: Int, message: String)
    /// The answer (or the saved response file) is not `{"images": [{"url", "seed", "nsfw"}, …]}`.
    case malformedAnswer(String)
    /// The runner returned another number of images than the request asked for.
    case imageCount(expected: Int, received: Int)
    /// Image `index` of the answer is not a decodable PNG/JPEG data URL.
    case undecodableImage(index: Int, reason: String)
    /// Image `index` came back with a seed the request does not imply (the runner uses `seed + index`).
    case unexpectedSeed(index: Int, expected: String, received: String)
    /// The runner's image and ours are not the same size.
    case sizeMismatch(index: Int, runner: String, ours: String)
    /// Our engine, under the runner's rules, refuses a request the runner answered.
    case refusedHere(String)
    /// A request file could not be read.
    case invalidRequestFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidRunnerURL(url):
            return "'\(url)' is not a runner URL; give one like http://host:8000 (POST /image-to-image is appended)"
        case let .runnerUnreachable(url, reason):
            return "could not reach the runner at \(url): \(reason)"
        case let .runnerRefused(status, message):
            return "the runner answered \(status): \(message)"
        case let .malformedAnswer(reason):
            return "the runner's answer is not the API's {\"images\": [{\"url\", \"seed\", \"nsfw\"}]}: \(reason)"
        case let .imageCount(expected, received):
            return "the request asked for \(expected) image(s) but the runner returned \(received)"
        case let .undecodableImage(index, reason):
            return "image \(index) of the runner's answer cannot be read: \(reason)"
        case let .unexpectedSeed(index, expected, received):
            return "image \(index) came back with seed \(received), but the request implies \(expected) "
                + "(the runner gives image i the seed seed + i)"
        case let .sizeMismatch(index, runner, ours):
            return "image \(index): the runner's image is \(runner) but ours is \(ours); the runner resized or "
                + "cropped differently, or ran another pipeline"
        case let .refusedHere(message):
            return "the runner answered, but under the runner's rules our engine refuses this request: \(message) "
                + "(is --model the model the runner serves?)"
        case let .invalidRequestFile(path, reason):
            return "cannot use the request file \(path): \(reason)"
        }
    }
}

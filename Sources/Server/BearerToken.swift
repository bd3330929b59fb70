// The runner's `AUTH_TOKEN` check: FastAPI's HTTPBearer(auto_error=False) reads `Authorization`, splits it at
// the first space into scheme and credentials, and yields nothing unless the scheme is "bearer" (any case) and
// the credentials are non-empty; the route then requires credentials == AUTH_TOKEN. We compare in constant time.

/// The token a deployment requires, if any.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    /// nil or empty: no authentication (as the runner does when AUTH_TOKEN is unset or empty).
    init?(_ token: String?) {
        guard let token, !token.isEmpty else { return nil }
        expected = Array(token.utf8)
    }

    /// Whether an `Authorization` header value carries the token.
    func accepts(authorization header: String?) -> Bool {
        guard let header, let space = header.firstIndex(of: " ") else { return false }
        let scheme = header[..<space]
        let credentials = header[header.index(after: space)...]
        guard scheme.lowercased() == "bearer", !credentials.isEmpty else { return false }
        return BearerToken.constantTimeEqual(Array(credentials.utf8), expected)
    }

    /// Compares every byte of the longer input, so timing does not reveal the matching prefix.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}

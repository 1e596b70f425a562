import Hummingbird

/// Lets a request through only with `Authorization: Bearer TOKEN`, except the paths that hold no
/// data: `/health` (liveness probes carry no token), the dashboard page and its files (its script
/// asks for the token). The live stream also takes `?token=` since a browser's `EventSource`
/// cannot set headers. Anything else gets 401 with `WWW-Authenticate: Bearer`.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let token: APIToken

    static func isOpen(_ path: String) -> Bool {
        path == "/health" || path == "/" || path.hasPrefix("/dashboard/")
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if Self.isOpen(path) { return try await next(request, context) }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            token.matches(header.dropFirst("Bearer ".count))
        {
            return try await next(request, context)
        }
        if path == StreamEndpoint.path, let query = request.uri.queryParameters["token"], token.matches(query) {
            return try await next(request, context)
        }
        var response = try APIError.unauthorized.response(from: request, context: context)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"sortgate\""
        return response
    }
}

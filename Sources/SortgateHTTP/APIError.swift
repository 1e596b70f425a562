import Hummingbird

/// An error answer of the API: a status and `{"error": "sentence"}`.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String

    static let unauthorized = APIError(status: .unauthorized, message: "missing or wrong bearer token")

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(["error": message], from: request, context: context)
        response.status = status
        return response
    }
}

import Foundation
import Hummingbird

/// `GET /` and `GET /dashboard/{file}`: the dashboard's static files, shipped as package
/// resources (`Resources/Dashboard`), read once at start. Only the files that folder holds are
/// served, looked up by exact name, so no request path can reach anything else.
struct DashboardFiles: Sendable {
    struct File: Sendable {
        var contentType: String
        var bytes: ByteBuffer
    }

    let files: [String: File]

    /// The dashboard folder among the module's resources.
    static var folder: URL? {
        Bundle.module.url(forResource: "Dashboard", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.resourceURL?.appendingPathComponent("Resources/Dashboard")
    }

    static let contentTypes = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
        "json": "application/json",
        "webmanifest": "application/manifest+json",
    ]

    init() {
        var files: [String: File] = [:]
        if let folder = Self.folder,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        {
            for name in names {
                let url = folder.appendingPathComponent(name)
                guard let type = Self.contentTypes[url.pathExtension.lowercased()],
                    let data = FileManager.default.contents(atPath: url.path)
                else { continue }
                files[name] = File(contentType: type, bytes: ByteBuffer(bytes: data))
            }
        }
        self.files = files
    }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/") { _, _ in try response("index.html") }
        router.get("dashboard/:file") { _, context in try response(context.parameters.require("file")) }
    }

    func response(_ name: String) throws -> Response {
        guard let file = files[name] else { throw APIError.notFound("no dashboard file '\(name)'") }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.contentType,
                // The files change only with a new sortgate; revalidating keeps an upgraded
                // gateway's page current without a reload by hand.
                .cacheControl: "no-cache",
                .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: file.bytes)
        )
    }
}

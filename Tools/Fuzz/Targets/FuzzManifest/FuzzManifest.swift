import FuzzSupport
import SortgateConfig
import SortgateIngest

/// Manifest files (CSV and JSON), checked against the transport scenario's site, as
/// `sortgate manifest import` and the manifest reloader read them. Every problem is rendered.
let folder = ScratchFolder(label: "manifest")

let site: SiteConfig = {
    let path = repositoryRoot + "/Tools/captures/transport-site.yaml"
    do {
        return try SiteConfig.load(path: path)
    } catch {
        fatalError("fuzz set-up: \(path): \(error)")
    }
}()

func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = folder.write(UnsafeRawBufferPointer(start: data, count: size), to: "manifest.csv")
    // 7 is the transport scenario's company prefix length (FuzzEPC tries the others).
    if let manifest = try? ManifestFile.load(path: path, site: site, companyPrefixLength: 7) {
        _ = manifest.problems.map(\.description)
    }
    return 0
}

import Foundation
import FuzzSupport
import SortgateConfig

/// The YAML loaders: the input as a site config (`site.yaml`, next to a copy of the shipped
/// device profiles, so that its devices resolve) and as one device profile. Every diagnostic
/// is rendered, as `check-config` prints them.
let folder: ScratchFolder = {
    let folder = ScratchFolder(label: "config")
    let devices = repositoryRoot + "/Devices"
    for name in (try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? [] where name.hasSuffix(".yaml") {
        folder.copy(devices + "/" + name, to: "Devices/" + name)
    }
    return folder
}()

func fuzzSiteConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let site = folder.write(bytes, to: "site.yaml")
    do throws(ConfigError) {
        _ = try SiteConfig.load(path: site, shippedProfileFolders: [folder.path + "/Devices"])
    } catch {
        _ = error.description
    }
    let profile = folder.write(bytes, to: "profile.yaml")
    do throws(ConfigError) {
        _ = try DeviceProfile.load(path: profile)
    } catch {
        _ = error.description
    }
    _ = Duration(configText: String(decoding: bytes, as: UTF8.self))
    return 0
}

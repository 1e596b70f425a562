import Foundation
import SortgateCore
import Testing

@testable import SortgateConfig

@Suite("Site config: the event ring")
struct SiteConfigRingTests {
    func load(_ yaml: String) throws -> SiteConfig {
        try ConfigFixtures.withFolder(["site.yaml": ConfigFixtures.minimal + yaml]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
    }

    @Test("without a ring section: 65536 slots of 256 bytes, messages up to 1 MiB")
    func defaults() throws {
        let config = try load("")
        #expect(config.ring == EventRing.Configuration(slots: 65_536, slotSize: 256, maxMessageBytes: 1 << 20))
        #expect(config.ring.problem == nil)
    }

    @Test("slots, slot_size and max_message as given; max_message defaults to max_payload + 1 KiB when larger")
    func values() throws {
        let config = try load("ring: {slots: 4096, slot_size: 512, max_message: 256KiB}\n")
        #expect(config.ring == EventRing.Configuration(slots: 4096, slotSize: 512, maxMessageBytes: 262_144))
        let large = try load("max_payload: 2MiB\nring: {slots: 16384}\n")
        #expect(large.ring == EventRing.Configuration(slots: 16_384, slotSize: 256, maxMessageBytes: 2_098_176))
    }

    @Test("the ring file: next to the SQLite database by default, ring.path resolved against the config's folder")
    func ringFile() throws {
        let (byDefault, given, folder) = try ConfigFixtures.withFolder(["site.yaml": ConfigFixtures.minimal]) { folder in
            let byDefault = try SiteConfig.load(path: folder + "/site.yaml")
            try (ConfigFixtures.minimal + "ring: {path: data/ring.bin}\n").write(
                toFile: folder + "/site.yaml",
                atomically: true,
                encoding: .utf8
            )
            return (byDefault, try SiteConfig.load(path: folder + "/site.yaml"), folder)
        }
        #expect(byDefault.ringFilePath == folder + "/test.sqlite.ring")
        #expect(given.ringFilePath == folder + "/data/ring.bin")
        #expect(given.ring == SiteConfig.defaultRing)
        #expect(
            try ConfigFixtures.problems(ConfigFixtures.minimal + "ring:\n  path: [a]\n")
                == ["site.yaml:7:9: ring.path: expected the path of the file the ring is kept in, got a list"]
        )
    }

    @Test("a ring larger than half of this machine's memory is refused (run would abort allocating it)")
    func tooLargeForTheMachine() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal + "ring: {slots: 16777216, slot_size: 65536}\n"
        )
        #expect(problems.count == 1)
        #expect(
            problems.first?.hasPrefix(
                "site.yaml:6:7: ring: the ring takes 1 TiB of memory (slots × slot_size, its mirror area and sequence "
                    + "numbers), more than half of this machine's "
            ) == true
        )
        #expect(problems.first?.hasSuffix("; lower slots or slot_size") == true)
        #expect(SiteConfig.memoryBytes(of: .init(slots: 16_777_216, slotSize: 65_536)) == 1_099_781_111_808)
        #expect(SiteConfig.memoryBytes(of: .init()) == 18_874_368)
    }

    @Test("bad ring values are reported at their file:line:column")
    func problems() throws {
        #expect(
            try ConfigFixtures.problems(ConfigFixtures.minimal + "ring:\n  slots: 1000\n  slot_size: 100\n")
                == [
                    "site.yaml:7:10: ring.slots: expected a power of two from 2 to 16777216, got 1000",
                    "site.yaml:8:14: ring.slot_size: expected a multiple of 8 bytes from 64 to 65536, got 100",
                ]
        )
        #expect(
            try ConfigFixtures.problems(ConfigFixtures.minimal + "max_payload: 64KiB\nring:\n  max_message: 32KiB\n")
                == [
                    "site.yaml:8:16: ring.max_message: max_message 32768 must be at least max_payload 65536 + 1024 "
                        + "bytes of topic"
                ]
        )
        #expect(
            try ConfigFixtures.problems(ConfigFixtures.minimal + "ring: {slots: 16, slot_size: 64}\n")
                == [
                    "site.yaml:6:7: ring: a message of 1048576 bytes does not fit in 16 slots of 64 bytes; "
                        + "raise slots or slot_size, or lower max_message"
                ]
        )
    }
}

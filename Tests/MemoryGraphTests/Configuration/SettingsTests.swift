import Foundation
import MemoryGraph
import Testing

@Suite("Settings: flags, environment, file, defaults", .timeLimit(.minutes(1)))
struct SettingsTests {
    /// A config file in a new temporary folder.
    static func configFile(_ text: String, name: String = "config.yaml") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-settings-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("binaries are looked for in MEMGRAPH_VENDOR_DIR, MEMGRAPH_HOME and the build checkout only, never in the current directory's parents (issue 27, item 7)")
    func vendorFolders() throws {
        // This test file's checkout is the one the binaries were built in.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        #expect(MemgraphHome.buildCheckout?.standardizedFileURL.path == checkout.standardizedFileURL.path)
        let vendor = "/opt/memgraph-vendor", home = "/var/lib/memgraph-test-home"
        let candidates = MemgraphHome(environment: ["MEMGRAPH_VENDOR_DIR": vendor, "MEMGRAPH_HOME": home]).vendorCandidates
        // Exactly these: nothing from the current directory's parents (a shared /tmp above it, say).
        #expect(candidates.map(\.standardizedFileURL.path) == [vendor, home + "/vendor", checkout.standardizedFileURL.path + "/.memgraph/vendor"])
    }

    @Test("each setting takes the highest layer that sets it, and says which")
    func layers() throws {
        let file = try Self.configFile("memgraph_session_ttl: 60\nmemgraph_encoder_kernel: blas\nPOSTGRES_DB: filedb\n")
        let settings = try Settings.load(
            flags: ["POSTGRES_DB": "flagdb"],
            environment: ["MEMGRAPH_CONFIG": file.path, "MEMGRAPH_ENCODER_KERNEL": "avx512", "MEMGRAPH_LOG_LEVEL": "", "PATH": "/bin"])
        #expect(settings["POSTGRES_DB"] == "flagdb" && settings.source(of: "POSTGRES_DB") == .flag)
        #expect(settings["MEMGRAPH_ENCODER_KERNEL"] == "avx512" && settings.source(of: "MEMGRAPH_ENCODER_KERNEL") == .environment)
        #expect(settings["MEMGRAPH_SESSION_TTL"] == "60" && settings.source(of: "MEMGRAPH_SESSION_TTL") == .file)
        // An empty variable counts as unset; a variable that is no setting is not kept.
        #expect(settings["MEMGRAPH_LOG_LEVEL"] == "warning" && settings.source(of: "MEMGRAPH_LOG_LEVEL") == .default)
        #expect(settings["PATH"] == nil)
        #expect(settings["DATABASE_URL"] == nil)
        #expect(settings.file?.path == file.path)
    }

    @Test("the config file is found in MEMGRAPH_HOME; an unknown key in it is an error naming the key")
    func fileInHome() throws {
        let file = try Self.configFile(#"{"memgraph_session_cache_size": 5}"#, name: "config.json")
        let home = file.deletingLastPathComponent().path
        #expect(try Settings.load(environment: ["MEMGRAPH_HOME": home])["MEMGRAPH_SESSION_CACHE_SIZE"] == "5")
        let bad = try Self.configFile("postgres_hots: db.example\n")
        do {
            _ = try Settings.load(environment: ["MEMGRAPH_CONFIG": bad.path])
            Issue.record("an unknown setting was accepted")
        } catch let error as MemoryGraphError {
            #expect(error.description.contains("postgres_hots"))
        }
    }

    @Test("secrets are masked for display: a password, or the password in a URL")
    func masking() throws {
        let settings = try Settings.load(
            flags: ["DATABASE_URL": "postgresql://app:s3cret@db.example:5433/mem"],
            environment: ["POSTGRES_PASSWORD": "hunter2", "POSTGRES_USER": "app"])
        #expect(settings.displayValue(of: "DATABASE_URL") == "postgresql://app:****@db.example:5433/mem")
        #expect(settings.displayValue(of: "POSTGRES_PASSWORD") == "****")
        #expect(settings.displayValue(of: "POSTGRES_USER") == "app")
        #expect(settings.displayValue(of: "MEMGRAPH_ADMIN_URL") == nil)
        // Every secret setting is masked, whatever its value looks like.
        for definition in Settings.definitions where definition.isSecret {
            let shown = try Settings.load(flags: [definition.name: "plain-s3cret"]).displayValue(of: definition.name)
            #expect(shown?.contains("s3cret") == false, "\(definition.name)")
        }
    }
}

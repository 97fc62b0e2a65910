import Foundation
@testable import Lab
import TestSupport
import Testing

/// The lab's certificates look like the ones real nodes make for themselves, read back with
/// the openssl command line. None names the loopback address the lab listens on, so the
/// lab can never again be friendlier than a real node reached by IP.
@Suite(.serialized) struct LabCertificateTests {
    private func describe(_ path: String) async -> String {
        let result = await Spawned.run(["x509", "-in", path, "-noout", "-subject", "-issuer", "-enddate",
                                  "-ext", "subjectAltName,basicConstraints,extendedKeyUsage"],
                                 directory: NSTemporaryDirectory(), executable: "openssl")
        return result.out
    }

    @Test func pbsNodesPresentAProxmoxBackupServerCertificate() async throws {
        let lab = try await RunningLab.start()
        let text = await describe("\(lab.runtime.stateDir)/certs/pbs-primary.crt")
        await lab.stop()
        #expect(text.contains("subject=O = Proxmox Backup Server, OU = "))
        #expect(text.contains("CN = pbs-primary.lab.internal"))
        #expect(text.contains("DNS:localhost, DNS:pbs-primary, DNS:pbs-primary.lab.internal"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(!text.contains("IP Address"), "the lab listens on loopback; its certificate must not name it")
        // Valid for 1000 years, as PBS makes it.
        let year = text.split(separator: "\n").first { $0.hasPrefix("notAfter=") }?.split(separator: " ").dropLast().last
        #expect(Int(year ?? "") ?? 0 > 3000, "\(text)")
        #expect(lab.config.primary.host == "127.0.0.1")
    }

    @Test func pveNodesPresentAClusterIssuedCertificate() async throws {
        let lab = try await RunningLab.start()
        let text = await describe("\(lab.runtime.stateDir)/certs/\(lab.config.pve[0].name).crt")
        await lab.stop()
        #expect(text.contains("issuer=CN = Proxmox Virtual Environment, OU = "))
        #expect(text.contains("O = PVE Cluster Manager CA"))
        #expect(text.contains("subject=OU = PVE Cluster Node, O = Proxmox Virtual Environment, CN = \(lab.config.pve[0].name).lab.internal"))
        #expect(!text.contains("IP Address"))
    }
}

/// Files that hold secrets are private from their first byte.
@Suite struct PrivateFileTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    @Test func aPrivateFileIsMode600BeforeAnythingIsWritten() async throws {
        let path = NSTemporaryDirectory() + "pbsha-private-\(UUID().uuidString)"
        let descriptor = try LabFiles.openPrivate(path)
        defer { close(descriptor); unlink(path) }
        var info = stat()
        #expect(fstat(descriptor, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_size == 0)
    }

    @Test func everySecretTheLabWritesIsPrivate() async throws {
        let lab = try await RunningLab.start()
        let dir = lab.runtime.stateDir
        try await lab.runtime.save()
        let secrets = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/secrets").map { "\(dir)/secrets/\($0)" }
        let keys = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/certs").filter { $0.hasSuffix(".key") }.map { "\(dir)/certs/\($0)" }
        // The PVE hosts' storage secrets too (`priv/storage/<ID>.pw`).
        let passwords = try lab.config.pve.flatMap { host in
            let directory = "\(dir)/pve/\(host.name)/etc/pve/priv/storage"
            return try FileManager.default.contentsOfDirectory(atPath: directory).map { "\(directory)/\($0)" }
        }
        let modes = (secrets + keys + passwords + ["\(dir)/lab-state.json"]).map { ($0, mode($0)) }
        await lab.stop()
        // Two PBS nodes, two PVE endpoints and the webhook sink; two entries on each host.
        #expect(!secrets.isEmpty && keys.count == 5 && passwords.count == 4)
        for (path, mode) in modes { #expect(mode == 0o600, "\(path)") }
    }
}

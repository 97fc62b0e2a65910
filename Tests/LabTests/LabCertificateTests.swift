import Foundation
import TestSupport
import Testing

/// The lab's certificates look like the ones real nodes make for themselves, read back with
/// the openssl command line. None names the loopback address the lab listens on, so the
/// lab can never again be friendlier than a real node reached by IP.
@Suite(.serialized) struct LabCertificateTests {
    private func describe(_ path: String) -> String {
        let result = Spawned.run(["x509", "-in", path, "-noout", "-subject", "-issuer", "-enddate",
                                  "-ext", "subjectAltName,basicConstraints,extendedKeyUsage"],
                                 directory: NSTemporaryDirectory(), executable: "openssl")
        return result.out
    }

    @Test func pbsNodesPresentAProxmoxBackupServerCertificate() async throws {
        let lab = try await RunningLab.start()
        let text = describe("\(lab.runtime.stateDir)/certs/pbs-primary.crt")
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
        let text = describe("\(lab.runtime.stateDir)/certs/\(lab.config.pve[0].name).crt")
        await lab.stop()
        #expect(text.contains("issuer=CN = Proxmox Virtual Environment, OU = "))
        #expect(text.contains("O = PVE Cluster Manager CA"))
        #expect(text.contains("subject=OU = PVE Cluster Node, O = Proxmox Virtual Environment, CN = \(lab.config.pve[0].name).lab.internal"))
        #expect(!text.contains("IP Address"))
    }
}

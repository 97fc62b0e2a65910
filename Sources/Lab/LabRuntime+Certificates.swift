import Foundation
import PairEngine

extension LabRuntime {
    /// `lab ctl cert ROLE renew`: the node serves a new self-signed certificate on the same
    /// port, as after `proxmox-backup-manager cert update`. Remotes and PVE entries keep the
    /// old pin and fail from now on; so does pbsha's own config until its fingerprint is updated.
    func renewCertificate(_ role: NodeRole) async -> (ok: Bool, message: String) {
        let name = world.node(role).nodeName
        let certs = "\(stateDir)/certs"
        do {
            let identity = try LabIdentity.pbs(nodeName: name)
            try LabFiles.writePrivate(identity.privateKeyPEM, to: "\(certs)/\(name).key")
            try identity.certificatePEM.write(toFile: "\(certs)/\(name).crt", atomically: true, encoding: .utf8)
            let old = fingerprints[role.rawValue]
            servers[role.rawValue]?.replaceCertificate(try identity.serverContext())
            let port = world.node(role).port
            fingerprints[role.rawValue] = identity.fingerprint
            world.bind(role, port: port, fingerprint: identity.fingerprint)
            try save()
            return (true, "\(role.rawValue) serves a new certificate \(identity.fingerprint) (was \(old.map(\.description) ?? "?")); "
                    + "remotes and PVE storage entries pinning the old one fail until updated, and so does \(configPath)")
        } catch {
            return (false, "cannot renew \(role.rawValue)'s certificate: \(error)")
        }
    }
}

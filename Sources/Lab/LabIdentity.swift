import Crypto
import Foundation
import NIOSSL
import ProxmoxAPI
import X509

/// A lab node's TLS identity, shaped like the certificate the real node makes for itself.
///
/// PBS (`update_self_signed_cert`): self-signed, O=Proxmox Backup Server, OU = a random
/// hex id, CN = the node's FQDN, SANs for `localhost`, the node name and the FQDN, not CA,
/// server-auth only, valid 1000 years from today. PVE: a node certificate issued by the
/// cluster's own CA (O=PVE Cluster Manager CA), OU=PVE Cluster Node, the same names,
/// valid two years. Two deliberate deviations: neither names the loopback addresses
/// (127.0.0.1, ::1) that the real ones name, because the lab listens on loopback and must
/// not be reachable by a name its certificate holds (a real node is reached by an IP the
/// certificate does not name); and the keys are ECDSA P-256 rather than RSA-4096, because
/// generating RSA keys would add seconds to every lab start in a debug build (the tests
/// against foreign servers cover RSA certificates).
public struct LabIdentity: Sendable {
    public let certificatePEM: String
    public let privateKeyPEM: String
    public let fingerprint: Fingerprint

    /// The DNS search domain the lab's nodes live in; a node's FQDN is `name.domain`.
    public static let domain = "lab.internal"

    /// A certificate like the one a PBS node creates for itself at installation.
    public static func pbs(nodeName: String, now: Date = Date()) throws -> LabIdentity {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("Proxmox Backup Server")
            OrganizationalUnitName(randomHex())
            CommonName("\(nodeName).\(domain)")
        }
        return try issue(subject: subject, key: key, nodeName: nodeName, issuer: subject, issuerKey: key,
                         notBefore: now, notAfter: now.addingTimeInterval(365 * 1000 * 86_400))
    }

    /// A certificate like a PVE node's `pve-ssl.pem`, issued by a cluster CA made for it.
    public static func pve(nodeName: String, now: Date = Date()) throws -> LabIdentity {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            CommonName("Proxmox Virtual Environment")
            OrganizationalUnitName(randomHex())
            OrganizationName("PVE Cluster Manager CA")
        }
        let subject = try DistinguishedName {
            OrganizationalUnitName("PVE Cluster Node")
            OrganizationName("Proxmox Virtual Environment")
            CommonName("\(nodeName).\(domain)")
        }
        let key = P256.Signing.PrivateKey()
        return try issue(subject: subject, key: key, nodeName: nodeName, issuer: caName, issuerKey: caKey,
                         notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(2 * 365 * 86_400))
    }

    private static func issue(subject: DistinguishedName, key: P256.Signing.PrivateKey, nodeName: String,
                              issuer: DistinguishedName, issuerKey: P256.Signing.PrivateKey,
                              notBefore: Date, notAfter: Date) throws -> LabIdentity {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let issuerPublicKey = Certificate.PublicKey(issuerKey.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                BasicConstraints.notCertificateAuthority
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .dnsName(nodeName), .dnsName("\(nodeName).\(domain)")])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuerPublicKey).keyIdentifier)
            },
            issuerPrivateKey: .init(issuerKey))
        return try LabIdentity(certificatePEM: certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }

    private static func randomHex() -> String {
        (0..<16).map { _ in String(format: "%02X", UInt8.random(in: 0...255)) }.joined()
    }

    /// Rebuilds an identity from stored PEM text.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.fingerprint = Fingerprint(sha256OfDER: try certificate.toDERBytes())
    }

    func serverContext() throws -> NIOSSLContext {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)))
    }

    /// Loads `name.crt`/`name.key` from a directory, creating them with `make` on first use.
    static func load(named name: String, in directory: String, make: (String) throws -> LabIdentity) throws -> LabIdentity {
        let certPath = "\(directory)/\(name).crt"
        let keyPath = "\(directory)/\(name).key"
        if let cert = try? String(contentsOfFile: certPath, encoding: .utf8), let key = try? String(contentsOfFile: keyPath, encoding: .utf8) {
            return try LabIdentity(certificatePEM: cert, privateKeyPEM: key)
        }
        let identity = try make(name)
        try LabFiles.writePrivate(identity.privateKeyPEM, to: keyPath)
        try identity.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        return identity
    }
}

/// File helpers for the lab's state directory.
enum LabFiles {
    /// Writes a file readable by its owner only (keys, token secrets, the world with its
    /// tokens), atomically: a temporary file created with mode 600 from the first byte
    /// (never written first and chmod-ed after), then renamed over the target.
    static func writePrivate(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        let descriptor = try openPrivate(temporary)
        defer { close(descriptor) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw failure(temporary) }
            bytes = bytes.dropFirst(written)
        }
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else { throw failure(path) }
    }

    /// Creates `path` for writing with mode 600 (a stale one is replaced; links are not followed).
    static func openPrivate(_ path: String) throws -> Int32 {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(path) }
        return descriptor
    }

    private static func failure(_ path: String) -> LabError {
        LabError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

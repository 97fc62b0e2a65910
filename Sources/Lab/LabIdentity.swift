import Crypto
import Foundation
import NIOSSL
import ProxmoxAPI
import SwiftASN1
import X509

/// A lab node's TLS identity: a self-signed P-256 certificate for 127.0.0.1/localhost.
public struct LabIdentity: Sendable {
    public let certificatePEM: String
    public let privateKeyPEM: String
    public let fingerprint: Fingerprint

    /// Creates a new certificate valid for a year.
    public static func generate(commonName: String, now: Date = Date()) throws -> LabIdentity {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("pbsha lab")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyCertSign: false))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(key))
        return try LabIdentity(certificatePEM: certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
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

    /// Loads `name.crt`/`name.key` from a directory, creating them on first use.
    static func load(named name: String, in directory: String) throws -> LabIdentity {
        let certPath = "\(directory)/\(name).crt"
        let keyPath = "\(directory)/\(name).key"
        if let cert = try? String(contentsOfFile: certPath, encoding: .utf8), let key = try? String(contentsOfFile: keyPath, encoding: .utf8) {
            return try LabIdentity(certificatePEM: cert, privateKeyPEM: key)
        }
        let identity = try generate(commonName: name)
        try LabFiles.writePrivate(identity.privateKeyPEM, to: keyPath)
        try identity.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        return identity
    }
}

/// File helpers for the lab's state directory.
enum LabFiles {
    /// Writes a file readable by its owner only (keys, token secrets), atomically.
    static func writePrivate(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
              rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}

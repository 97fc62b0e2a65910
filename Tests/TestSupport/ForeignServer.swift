import Foundation

/// An HTTPS server that pbsha did not write: python3's `ssl` module (OpenSSL), started from
/// `Scripts/serve.py`, answering PBS- or PVE-shaped JSON or misbehaving on purpose.
public final class ForeignServer: Sendable {
    /// What the server does with a connection (the modes of `serve.py`).
    public enum Mode: String, Sendable {
        case pbsPrimary = "pbs-primary", pbsSecondary = "pbs-secondary", pve
        case closeBeforeAnswer = "close-before-answer", uncleanMidBody = "unclean-mid-body"
        case eofInHandshake = "eof-in-handshake", plainHTTP = "plain-http", notHTTP = "not-http"
        case webhook
    }

    public let port: Int
    public let logPath: String
    private let process: Spawned

    /// Starts the server and waits until it listens. `extra` passes further `serve.py` options.
    public init(_ mode: Mode, certificate: String? = nil, certificates: ForeignCertificates? = nil, bind: String = "127.0.0.1",
                token: (authID: String, secret: String)? = nil, peerCertificate: String? = nil, extra: [String] = []) async throws {
        let directory = Spawned.temporaryDirectory()
        logPath = "\(directory)/requests.log"
        var arguments = [Self.script("serve.py"), "--mode", mode.rawValue, "--bind", bind, "--log", logPath, "--lifetime", "300"]
        if let certificate, let certificates {
            arguments += ["--cert", certificates.certificate(certificate), "--key", certificates.key(certificate)]
        }
        if let token { arguments += ["--auth-id", token.authID, "--secret", token.secret] }
        if let peerCertificate, let certificates { arguments += ["--peer-cert", certificates.certificate(peerCertificate)] }
        process = Spawned.start(arguments + extra, directory: directory, executable: "python3")
        guard await process.waitForOutput("listening ", timeout: 20),
              let port = process.stdout.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            kill(process.pid, SIGKILL)
            throw ForeignServerError(message: "serve.py did not start: \(process.stderr)")
        }
        self.port = port
    }

    /// The requests the server read, as `METHOD TARGET host=HOSTHEADER`.
    public var requests: [String] { log.filter { !$0.hasPrefix("error ") && $0 != "connection" && $0 != "idle close" } }

    /// TLS connections the server accepted.
    public var connections: Int { log.filter { $0 == "connection" }.count }

    /// Connections the server closed for being idle (`--keep-alive`).
    public var idleCloses: Int { log.filter { $0 == "idle close" }.count }

    /// What OpenSSL reported on the server's side, e.g. the alert a refusing client sent.
    public var errors: [String] { log.filter { $0.hasPrefix("error ") } }

    /// Waits until the server has logged an error containing `text`.
    public func loggedError(containing text: String, timeout: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if errors.contains(where: { $0.contains(text) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        } while Date() < deadline
        return false
    }

    private var log: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public func stop() { process.killAndReap() }

    deinit { kill(process.pid, SIGKILL) }

    public static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/\(name)").path
    }
}

/// The certificates `Scripts/make-certs.sh` makes with the openssl command line.
public struct ForeignCertificates: Sendable {
    public let directory: String

    /// One set for the whole test process (making seven RSA keys takes a few seconds).
    public static func shared() async throws -> ForeignCertificates { try await made.value }
    private static let made = Task { try await make() }

    private static func make() async throws -> ForeignCertificates {
        let directory = Spawned.temporaryDirectory()
        let result = await Spawned.run([ForeignServer.script("make-certs.sh"), directory], directory: directory, executable: "bash")
        guard result.code == 0 else { throw ForeignServerError(message: "make-certs.sh failed: \(result.err)") }
        return ForeignCertificates(directory: directory)
    }

    public func certificate(_ name: String) -> String { "\(directory)/\(name).crt" }
    public func key(_ name: String) -> String { "\(directory)/\(name).key" }

    /// The SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it (upper case).
    public func fingerprint(_ name: String) throws -> String {
        try String(contentsOfFile: "\(directory)/\(name).sha256", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct ForeignServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

import NIOSSL

/// Puts what NIOSSL and BoringSSL report into words an operator can act on.
///
/// The TLS stack raises several unrelated error types (`NIOSSLError`, `BoringSSLError`,
/// `NIOSSLExtraError`, `NIOSSLCloseTimedOutError`, `NIOTLSUnwrappingError`); each is named
/// here so that no TLS failure is ever reported as "the connection closed".
enum TLSFailure {
    /// The cause of a TLS-level error, or nil when `error` does not come from the TLS stack.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as NIOSSLError: return describe(error)
        case let error as BoringSSLError: return describe(error)
        case let error as NIOSSLExtraError:
            // Only where authorities are trusted: a pin never checks names.
            if error == .failedToValidateHostname { return "the server's certificate does not name the host connected to" }
            return "TLS setup failed: \(error)"
        case is NIOSSLCloseTimedOutError: return "the server did not finish closing the TLS session in time"
        case let error as NIOTLSUnwrappingError: return "TLS session error: \(error)"
        default: return nil
        }
    }

    /// Words for the `SSL routines` reason BoringSSL names, such as `SSLV3_ALERT_HANDSHAKE_FAILURE`.
    static func describe(reason: String) -> String {
        switch reason {
        case "SSLV3_ALERT_HANDSHAKE_FAILURE", "TLSV1_ALERT_HANDSHAKE_FAILURE":
            return "the server sent the TLS alert handshake_failure: it shares no cipher suite with pbsha, "
                + "or it demands a client certificate"
        case "TLSV1_ALERT_PROTOCOL_VERSION":
            return "the server sent the TLS alert protocol_version: it speaks none of the TLS versions pbsha offers (1.2 and 1.3)"
        case "UNSUPPORTED_PROTOCOL":
            return "the server chose a TLS version older than 1.2, which pbsha refuses"
        case "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST":
            return "the server did not answer in TLS: the port may serve plain HTTP or another service"
        case "NO_SHARED_CIPHER", "NO_CIPHER_MATCH":
            return "the server and pbsha share no cipher suite"
        case "CERTIFICATE_VERIFY_FAILED":
            return "the server's certificate was refused"
        case "TLSV1_ALERT_CERTIFICATE_REQUIRED", "TLSV13_ALERT_CERTIFICATE_REQUIRED":
            return "the server demands a client certificate, which pbsha does not send (API tokens authenticate instead)"
        default:
            for prefix in ["SSLV3_ALERT_", "TLSV1_ALERT_", "TLSV13_ALERT_"] where reason.hasPrefix(prefix) {
                return "the server sent the TLS alert \(reason.dropFirst(prefix.count).lowercased())"
            }
            return reason.lowercased().replacingOccurrences(of: "_", with: " ")
        }
    }

    private static func describe(_ error: NIOSSLError) -> String {
        switch error {
        case .handshakeFailed(let cause): return "handshake failed: \(describe(cause))"
        case .shutdownFailed(let cause): return "closing the TLS session failed: \(describe(cause))"
        case .uncleanShutdown:
            return "the server dropped the connection without ending the TLS session (unclean shutdown) before the answer was complete"
        case .noCertificateToValidate: return "the server presented no certificate"
        case .unableToValidateCertificate, .cannotMatchULabel:
            return "the server's certificate could not be checked"
        case .readInInvalidTLSState, .writeDuringTLSShutdown:
            return "the TLS session was already closing (\(error))"
        default:
            return "TLS setup failed (\(error))"
        }
    }

    private static func describe(_ error: BoringSSLError) -> String {
        switch error {
        case .sslError(let stack), .unknownError(let stack): return describe(stack)
        case .zeroReturn: return "the server ended the TLS session"
        case .syscallError: return "the connection failed underneath TLS"
        case .invalidSNIName, .failedToSetALPN: return "TLS setup failed (\(error))"
        case .noError, .wantRead, .wantWrite, .wantConnect, .wantAccept, .wantX509Lookup, .wantCertificateVerify:
            return "TLS stopped in an unexpected state (\(error))"
        }
    }

    private static func describe(_ stack: NIOBoringSSLErrorStack) -> String {
        if stack.contains(.eofDuringHandshake) || stack.contains(.eofDuringAdditionalCertficiateChainValidation) {
            return "the server closed the connection during the TLS handshake"
        }
        let reasons = stack.compactMap(reason(of:))
        guard let first = reasons.first else { return "BoringSSL gave no reason" }
        return describe(reason: first)
    }

    /// `SSLV3_ALERT_HANDSHAKE_FAILURE` out of
    /// `Error: 268436584 error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE at …`.
    static func reason(of error: BoringSSLInternalError) -> String? {
        let text = error.description
        guard let marker = text.range(of: "OPENSSL_internal:") else { return nil }
        let rest = text[marker.upperBound...]
        let reason = rest.prefix { $0 != " " }
        return reason.isEmpty ? nil : String(reason)
    }
}

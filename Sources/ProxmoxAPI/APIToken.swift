/// An API token: the auth-id (`user@realm!name`) and its secret.
///
/// The secret never appears in `description`, so a token can be logged or shown safely.
public struct APIToken: Sendable, Equatable, CustomStringConvertible {
    /// `user@realm!tokenname`.
    public let authID: String
    /// The secret shown once at token creation.
    public let secret: String

    public init(authID: String, secret: String) {
        self.authID = authID
        self.secret = secret
    }

    /// The `Authorization` header value PBS expects (colon between id and secret).
    public var pbsHeader: String { "PBSAPIToken=\(authID):\(secret)" }

    /// The `Authorization` header value PVE expects (equals sign between id and secret).
    public var pveHeader: String { "PVEAPIToken=\(authID)=\(secret)" }

    public var description: String { "\(authID) (secret hidden)" }
}

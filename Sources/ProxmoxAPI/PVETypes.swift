/// One entry of PVE's `GET /storage` (the fields a `pbs:` entry has). Never holds the password.
public struct PVEStorage: Codable, Sendable, Equatable {
    public var storage: String
    public var type: String
    public var content: String?
    public var digest: String?
    public var server: String?
    public var datastore: String?
    public var port: Int?
    public var username: String?
    public var fingerprint: String?
    public var namespace: String?
    /// PVE sends booleans as 0/1.
    public var disable: Int?
    public var nodes: String?

    public init(storage: String, type: String, server: String?, datastore: String?, fingerprint: String?,
                username: String?, port: Int? = nil, namespace: String? = nil) {
        self.storage = storage
        self.type = type
        self.content = type == "pbs" ? "backup" : nil
        self.server = server
        self.datastore = datastore
        self.fingerprint = fingerprint
        self.username = username
        self.port = port
        self.namespace = namespace
    }
}

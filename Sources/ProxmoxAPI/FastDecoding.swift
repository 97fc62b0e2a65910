/// A type `JSONCursor` can read straight from bytes. `APIConnection.decode` tries this first
/// and falls back to `JSONDecoder` whenever it gives up, so it must read exactly what the
/// type's `Decodable` conformance reads: the same keys, optional ones missing or null,
/// unknown keys skipped, and give up on anything else.
protocol FastDecodable {
    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self
    /// An array of them: written out by each type (one line) so that the reading is
    /// specialized for it; a generic one looks up type metadata for every element.
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self]
}

extension FastDecodable {
    /// The value `bytes` hold, or nil when the fast path gives up.
    static func fastDecode(_ bytes: [UInt8]) -> Self? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor = JSONCursor(buffer)
            guard let value = try? read(&cursor), cursor.atEnd() else { return nil }
            return value
        }
    }
}

/// Reads an object's fields into optionals, then checks the required ones.
private func required<Value>(_ value: Value?) throws(JSONCursor.Mismatch) -> Value {
    guard let value else { throw JSONCursor.Mismatch() }
    return value
}

extension Array: FastDecodable where Element: FastDecodable {
    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self { try Element.readArray(&cursor) }
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try Element.readArray(&element) }
    }
}

extension String: FastDecodable {
    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self { try cursor.string() }
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] { try cursor.array { c throws(JSONCursor.Mismatch) in try c.string() } }
}

extension Envelope: FastDecodable where Payload: FastDecodable {
    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var data: Payload?, total: Int?, digest: String?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "data": data = try Payload.read(&value)
            case "total": total = try value.optional { c throws(JSONCursor.Mismatch) in try c.int() }
            case "digest": digest = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            default: try value.skip()
            }
        }
        return Envelope(data: try required(data), total: total, digest: digest)
    }

    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }
}

extension SnapshotListItem: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var type: String?, id: String?, time: Int64?, files: [File]?, size: Int64?, owner: String?, protected: Bool?
        var comment: String?, verification: Verification?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "backup-type": type = try value.string()
            case "backup-id": id = try value.string()
            case "backup-time": time = try value.int64()
            case "files": files = try File.readArray(&value)
            case "size": size = try value.optional { c throws(JSONCursor.Mismatch) in try c.int64() }
            case "owner": owner = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            case "protected": protected = try value.bool()
            case "comment": comment = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            case "verification": verification = try value.optional { c throws(JSONCursor.Mismatch) in try Verification.read(&c) }
            default: try value.skip()
            }
        }
        var item = SnapshotListItem(backupType: try required(type), backupID: try required(id), backupTime: try required(time),
                                    files: try required(files), size: size, owner: owner, protected: try required(protected),
                                    verification: verification)
        item.comment = comment
        return item
    }
}

extension SnapshotListItem.File: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var filename: String?, cryptMode: String?, size: Int64?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "filename": filename = try value.string()
            case "crypt-mode": cryptMode = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            case "size": size = try value.optional { c throws(JSONCursor.Mismatch) in try c.int64() }
            default: try value.skip()
            }
        }
        return Self(filename: try required(filename), cryptMode: cryptMode, size: size)
    }
}

extension SnapshotListItem.Verification: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var state: String?, upid: String?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "state": state = try value.string()
            case "upid": upid = try value.string()
            default: try value.skip()
            }
        }
        return Self(state: try required(state), upid: try required(upid))
    }
}

extension GroupListItem: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var type: String?, id: String?, last: Int64?, count: Int?, files: [String]?, owner: String?, comment: String?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "backup-type": type = try value.string()
            case "backup-id": id = try value.string()
            case "last-backup": last = try value.int64()
            case "backup-count": count = try value.int()
            case "files": files = try String.readArray(&value)
            case "owner": owner = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            case "comment": comment = try value.optional { c throws(JSONCursor.Mismatch) in try c.string() }
            default: try value.skip()
            }
        }
        var item = GroupListItem(backupType: try required(type), backupID: try required(id), lastBackup: try required(last),
                                 backupCount: try required(count), files: try required(files), owner: owner)
        item.comment = comment
        return item
    }
}

extension TaskLogLine: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var n: Int?, t: String?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "n": n = try value.int()
            case "t": t = try value.string()
            default: try value.skip()
            }
        }
        return Self(n: try required(n), t: try required(t))
    }
}

extension TaskLogPage: FastDecodable {
    static func readArray(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> [Self] {
        try cursor.array { element throws(JSONCursor.Mismatch) in try read(&element) }
    }

    static func read(_ cursor: inout JSONCursor) throws(JSONCursor.Mismatch) -> Self {
        var data: [TaskLogLine]?, total: Int?, success: Int?, active: Bool?
        try cursor.object { key, value throws(JSONCursor.Mismatch) in
            switch key {
            case "data": data = try TaskLogLine.readArray(&value)
            case "total": total = try value.int()
            case "success": success = try value.optional { c throws(JSONCursor.Mismatch) in try c.int() }
            case "active": active = try value.optional { c throws(JSONCursor.Mismatch) in try c.bool() }
            default: try value.skip()
            }
        }
        var page = TaskLogPage(data: try required(data), total: try required(total), active: active)
        page.success = success
        return page
    }
}

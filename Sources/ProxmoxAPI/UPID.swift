/// A task identifier as PBS or PVE writes it.
///
/// PBS: `UPID:node:pid:pstart:taskid:starttime:type:id:authid:` (8 fields, the worker id
/// systemd-escaped). PVE: `UPID:node:pid:pstart:starttime:type:id:user:` (7 fields, no escaping).
public struct UPID: Hashable, Sendable, CustomStringConvertible {
    /// Which product wrote the UPID; the field layout differs.
    public enum Flavor: Sendable { case pbs, pve }

    public let flavor: Flavor
    public let node: String
    public let pid: UInt32
    public let pstart: UInt64
    /// The per-process task counter (PBS only).
    public let taskID: UInt64?
    /// Task start, seconds since the epoch.
    public let startTime: Int64
    public let workerType: String
    /// The worker id, unescaped.
    public let workerID: String
    public let authID: String
    /// The UPID exactly as it was parsed or built.
    public let raw: String

    public var description: String { raw }

    /// Parses a PBS or PVE UPID, choosing the layout by counting fields.
    public init(_ text: String) throws(UPIDError) {
        guard text.hasPrefix("UPID:"), text.hasSuffix(":") else {
            throw UPIDError(text: text, reason: "a UPID starts with 'UPID:' and ends with ':'")
        }
        // The auth id may not contain ':', and the PBS worker id has ':' escaped, so
        // splitting on ':' is exact for both layouts.
        let fields = text.dropFirst(5).dropLast().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func hex(_ value: String, _ name: String, digits: ClosedRange<Int>) throws(UPIDError) -> UInt64 {
            guard digits.contains(value.count), let number = UInt64(value, radix: 16) else {
                throw UPIDError(text: text, reason: "\(name) '\(value)' is not \(digits.lowerBound)-\(digits.upperBound) hex digits")
            }
            return number
        }
        func epoch(_ value: UInt64) throws(UPIDError) -> Int64 {
            guard let time = Int64(exactly: value) else { throw UPIDError(text: text, reason: "start time \(value) is out of range") }
            return time
        }
        switch fields.count {
        case 8:
            flavor = .pbs
            taskID = try hex(fields[3], "task id", digits: 8...16)
            startTime = try epoch(hex(fields[4], "start time", digits: 8...16))
            workerType = fields[5]
            workerID = try UPID.unescape(fields[6])
            authID = fields[7]
        case 7:
            flavor = .pve
            taskID = nil
            startTime = try epoch(hex(fields[3], "start time", digits: 8...16))
            workerType = fields[4]
            workerID = fields[5]
            authID = fields[6]
        default:
            throw UPIDError(text: text, reason: "expected 8 fields (PBS) or 7 (PVE), found \(fields.count)")
        }
        node = fields[0]
        guard !node.isEmpty else { throw UPIDError(text: text, reason: "the node name is empty") }
        pid = UInt32(try hex(fields[1], "pid", digits: 8...8))
        pstart = try hex(fields[2], "pstart", digits: 8...9)
        guard !workerType.isEmpty else { throw UPIDError(text: text, reason: "the worker type is empty") }
        raw = text
    }

    /// Builds a PBS UPID (used by the lab).
    public static func pbs(node: String, pid: UInt32, pstart: UInt64, taskID: UInt64, startTime: Int64,
                           workerType: String, workerID: String, authID: String) -> UPID {
        func hex(_ v: UInt64) -> String {
            let digits = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        }
        let text = "UPID:\(node):\(hex(UInt64(pid))):\(hex(pstart)):\(hex(taskID)):\(hex(UInt64(startTime))):"
            + "\(workerType):\(escape(workerID)):\(authID):"
        // Built from valid parts, so it always parses.
        return try! UPID(text)
    }

    /// Builds a PVE UPID (used by the lab): no task counter, the id unescaped.
    public static func pve(node: String, pid: UInt32, pstart: UInt64, startTime: Int64, workerType: String, workerID: String,
                           authID: String) -> UPID {
        func hex(_ v: UInt64) -> String {
            let digits = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        }
        // Built from valid parts, so it always parses.
        return try! UPID("UPID:\(node):\(hex(UInt64(pid))):\(hex(pstart)):\(hex(UInt64(startTime))):\(workerType):\(workerID):\(authID):")
    }

    /// Systemd unit escaping as PBS applies it to worker ids.
    public static func escape(_ id: String) -> String {
        var out = ""
        for (offset, byte) in id.utf8.enumerated() {
            let scalar = Character(Unicode.Scalar(byte))
            if byte == UInt8(ascii: "/") {
                out.append("-")
            } else if (scalar.isASCII && (scalar.isLetter || scalar.isNumber)) || byte == UInt8(ascii: "_")
                        || (byte == UInt8(ascii: ".") && offset > 0) {
                out.append(scalar)
            } else {
                out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out
    }

    /// Reverses `escape`: `\xNN` becomes the byte, `-` becomes `/`.
    public static func unescape(_ id: String) throws(UPIDError) -> String {
        var bytes: [UInt8] = []
        let source = Array(id.utf8)
        var i = 0
        while i < source.count {
            if source[i] == UInt8(ascii: "\\") {
                guard i + 3 < source.count, source[i + 1] == UInt8(ascii: "x"),
                      let byte = UInt8(String(decoding: source[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) else {
                    throw UPIDError(text: id, reason: "bad escape in worker id at byte \(i)")
                }
                bytes.append(byte)
                i += 4
            } else {
                bytes.append(source[i] == UInt8(ascii: "-") ? UInt8(ascii: "/") : source[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A UPID that could not be parsed, with the reason.
public struct UPIDError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid UPID '\(text)': \(reason)" }
}

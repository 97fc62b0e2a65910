/// PVE's `/etc/pve/storage.cfg`, read the way PVE reads it and rewritten line by line: a
/// file that is not changed comes back byte for byte (comments, tabs or spaces, unknown
/// storage types and keys, blank lines, a missing final newline), and a retarget changes
/// only the lines of the keys it means to change.
///
/// What PVE would misread is refused with the line and the fix rather than rewritten:
/// CRLF line endings, a section header with no empty line before it (PVE drops that
/// storage), a duplicate storage ID, a `pbs:` entry without `server` or `datastore`.
public struct StorageConfig: Sendable, Equatable {
    /// One `type: ID` section and its property lines (0-based line indices).
    public struct Section: Sendable, Equatable {
        public let type: String
        public let id: String
        let header: Int
        /// Each property line's index and key, in file order.
        let properties: [(line: Int, key: String)]

        public static func == (a: Section, b: Section) -> Bool {
            a.type == b.type && a.id == b.id && a.header == b.header && a.properties.map(\.line) == b.properties.map(\.line)
                && a.properties.map(\.key) == b.properties.map(\.key)
        }
    }

    /// Where a `pbs:` entry should point.
    public struct Target: Sendable, Equatable {
        public var server: String
        public var datastore: String
        public var fingerprint: String
        public var username: String?
        public var port: Int?
        public var namespace: String?

        public init(server: String, datastore: String, fingerprint: String, username: String? = nil, port: Int? = nil, namespace: String? = nil) {
            self.server = server
            self.datastore = datastore
            self.fingerprint = fingerprint
            self.username = username
            self.port = port
            self.namespace = namespace
        }
    }

    private(set) var lines: [String]
    private let endsWithNewline: Bool
    public private(set) var sections: [Section]

    /// Reads `text`; refuses what PVE would misread.
    public init(_ text: String) throws(StorageConfigError) {
        // Split on LF bytes, as PVE does (a String would keep "\r\n" together as one character).
        let bytes = Array(text.utf8)
        endsWithNewline = bytes.last == UInt8(ascii: "\n")
        var split = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if endsWithNewline { split.removeLast() }
        lines = split
        sections = []
        var current: (type: String, id: String, header: Int, properties: [(line: Int, key: String)])?
        func close() {
            if let section = current { sections.append(Section(type: section.type, id: section.id, header: section.header, properties: section.properties)) }
            current = nil
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.utf8.last == UInt8(ascii: "\r") {
                throw StorageConfigError(line: number, message: "ends with CR (CRLF line endings); PVE splits storage.cfg on LF only and "
                                         + "would merge sections. Convert the file to LF endings (dos2unix) first")
            }
            if line.isEmpty { close(); continue }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.first == "#" || trimmed.isEmpty { continue }
            if line.first == " " || line.first == "\t" {
                guard current != nil else { continue }   // PVE ignores a property line outside a section
                let key = String(trimmed.prefix { $0 != " " && $0 != "\t" })
                current?.properties.append((index, key))
                continue
            }
            guard let (type, id) = Self.header(line) else {
                throw StorageConfigError(line: number, message: "'\(line)' is neither a section header ('type: ID') nor an indented "
                                         + "property line; fix or remove it")
            }
            if current != nil {
                throw StorageConfigError(line: number, message: "section '\(type): \(id)' has no empty line before it; PVE would ignore "
                                         + "it and the storage would disappear. Add an empty line before it")
            }
            if let first = sections.first(where: { $0.id == id }) {
                throw StorageConfigError(line: number, message: "storage ID '\(id)' is defined twice (first on line \(first.header + 1)); "
                                         + "PVE keeps only the later one. Remove or rename one of them")
            }
            current = (type.lowercased(), id, index, [])
        }
        close()
        for section in sections where section.type == "pbs" {
            for key in ["server", "datastore"] where value(of: key, in: section) == nil {
                throw StorageConfigError(line: section.header + 1, message: "pbs storage '\(section.id)' has no \(key); PVE cannot use it "
                                         + "and fails every later write of storage.cfg. Add '\(key) VALUE' to it")
            }
        }
    }

    /// The file as text: exactly the input when nothing was changed.
    public var text: String {
        lines.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }

    public func section(_ id: String) -> Section? { sections.first { $0.id == id } }

    /// A section's keys in file order, each once (PVE keeps a key's first occurrence).
    public func keys(in section: Section) -> [String] {
        var seen = Set<String>()
        return section.properties.map(\.key).filter { seen.insert($0).inserted }
    }

    /// A property's value in a section as PVE reads it: the first occurrence, trailing
    /// whitespace trimmed; "" for a bare flag.
    public func value(of key: String, in section: Section) -> String? {
        guard let line = section.properties.first(where: { $0.key == key })?.line else { return nil }
        return Self.parts(lines[line]).value
    }

    /// The file with `storage` pointing at `target`: `server`, `datastore`, `fingerprint`,
    /// and `username`, `port`, `namespace` when given, each changed only where it differs;
    /// a missing key is added where PVE would write it. Every other byte stays.
    public func retargeting(_ storage: String, to target: Target) throws(StorageConfigError) -> StorageConfig {
        guard let section = section(storage) else {
            let known = sections.map(\.id).joined(separator: ", ")
            throw StorageConfigError(line: nil, message: "no storage '\(storage)' in this file (it has: \(known.isEmpty ? "none" : known)); "
                                     + "check the ID in the [[pve]] storage key")
        }
        guard section.type == "pbs" else {
            throw StorageConfigError(line: section.header + 1, message: "storage '\(storage)' is of type \(section.type), not pbs; only a pbs "
                                     + "entry can be retargeted")
        }
        var wanted: [(String, String)] = [("server", target.server), ("datastore", target.datastore), ("fingerprint", target.fingerprint)]
        if let username = target.username { wanted.append(("username", username)) }
        if let port = target.port { wanted.append(("port", String(port))) }
        if let namespace = target.namespace, !namespace.isEmpty { wanted.append(("namespace", namespace)) }
        var result = self
        for (key, value) in wanted {
            result.set(key, value, in: storage)
        }
        return result
    }

    /// Sets one key of one section, changing at most one line.
    private mutating func set(_ key: String, _ value: String, in id: String) {
        guard let index = sections.firstIndex(where: { $0.id == id }) else { return }
        let section = sections[index]
        if let line = section.properties.first(where: { $0.key == key })?.line {
            let parts = Self.parts(lines[line])
            guard !Self.same(key, parts.value, value) else { return }
            lines[line] = parts.lead + key + (parts.gap.isEmpty ? " " : parts.gap) + value
            return
        }
        if key == "port" && value == "8007" { return }   // the default is not written
        // Where PVE writes it: after the keys that sort before it in PVE's order.
        let indent = section.properties.first.map { Self.parts(lines[$0.line]).lead } ?? "\t"
        let after = section.properties.last { Self.rank($0.key) <= Self.rank(key) }?.line ?? section.header
        let insertAt = after + 1
        lines.insert(indent + key + " " + value, at: insertAt)
        for other in sections.indices {
            sections[other] = Self.shifted(sections[other], from: insertAt)
        }
        var properties = sections[index].properties
        properties.append((insertAt, key))
        properties.sort { $0.line < $1.line }
        sections[index] = Section(type: section.type, id: section.id, header: section.header, properties: properties)
    }

    /// PVE's order inside a section: comment, disable, required keys, optional keys, each alphabetical.
    private static func rank(_ key: String) -> (Int, String) {
        switch key {
        case "comment": return (0, key)
        case "disable": return (1, key)
        case "datastore", "server": return (2, key)
        default: return (3, key)
        }
    }

    /// Fingerprints are hex and compare without case; everything else exactly.
    private static func same(_ key: String, _ old: String, _ new: String) -> Bool {
        key == "fingerprint" ? old.lowercased() == new.lowercased() : old == new
    }

    private static func shifted(_ section: Section, from line: Int) -> Section {
        func move(_ index: Int) -> Int { index >= line ? index + 1 : index }
        return Section(type: section.type, id: section.id, header: move(section.header),
                       properties: section.properties.map { (move($0.line), $0.key) })
    }

    /// `type: ID` (spaces allowed around the ID, nothing after it).
    private static func header(_ line: String) -> (String, String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let type = line[..<colon]
        let id = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !type.isEmpty, !type.contains(where: \.isWhitespace), !id.isEmpty, !id.contains(where: \.isWhitespace) else { return nil }
        return (String(type), id)
    }

    /// A property line's leading whitespace, the whitespace after the key, and the value
    /// (trailing whitespace trimmed, as PVE reads it).
    private static func parts(_ line: String) -> (lead: String, gap: String, value: String) {
        let lead = line.prefix { $0 == " " || $0 == "\t" }
        let rest = line.dropFirst(lead.count)
        let key = rest.prefix { $0 != " " && $0 != "\t" }
        let afterKey = rest.dropFirst(key.count)
        let gap = afterKey.prefix { $0 == " " || $0 == "\t" }
        var value = afterKey.dropFirst(gap.count)
        while let last = value.last, last == " " || last == "\t" { value = value.dropLast() }
        return (String(lead), String(gap), String(value))
    }
}

/// Why a storage.cfg cannot be read or changed, with the line (1-based) and the fix.
public struct StorageConfigError: Error, Equatable, CustomStringConvertible {
    public let line: Int?
    public let message: String

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

/// A forward-only reader over JSON bytes, for the few answers that come by the megabyte
/// (snapshot and group lists, task logs): Foundation's `JSONDecoder` reads about 20 MB/s
/// here, so a million snapshots took seconds. It reads only well-formed JSON of the expected
/// shape and gives up (`nil`) on anything else; the caller then decodes with `JSONDecoder`,
/// which accepts and rejects exactly what it always did, with its messages.
struct JSONCursor {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Thrown on anything unexpected; never leaves `FastDecoding`.
    struct Mismatch: Error {}

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    private mutating func peek() throws(Mismatch) -> UInt8 {
        skipSpace()
        guard index < bytes.count else { throw Mismatch() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Mismatch) {
        guard try peek() == byte else { throw Mismatch() }
        index += 1
    }

    /// Whether only white space is left.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// `null` consumed when it is next.
    mutating func null() throws(Mismatch) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws(Mismatch) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Mismatch() }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Mismatch() }
        index += count
    }

    mutating func bool() throws(Mismatch) -> Bool {
        if try peek() == UInt8(ascii: "t") { try literal("true"); return true }
        try literal("false")
        return false
    }

    /// An integer written as digits (a fraction or exponent is left to `JSONDecoder`).
    mutating func int64() throws(Mismatch) -> Int64 {
        let negative = try peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !overflow1, !overflow2 else { throw Mismatch() }
            value = sum
            index += 1
        }
        guard index > start, index == start + 1 || bytes[start] != 0x30 else { throw Mismatch() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { throw Mismatch() }
        return negative ? -value : value
    }

    mutating func int() throws(Mismatch) -> Int {
        let value = try int64()
        guard let narrow = Int(exactly: value) else { throw Mismatch() }
        return narrow
    }

    mutating func string() throws(Mismatch) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
        guard index < bytes.count else { throw Mismatch() }
        if bytes[index] == UInt8(ascii: "\"") {
            let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            guard let decoded = String(validating: text, as: UTF8.self) else { throw Mismatch() }
            return decoded
        }
        // Escapes (rare): the rest byte by byte.
        var scalars = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw Mismatch() }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let decoded = String(validating: scalars, as: UTF8.self) else { throw Mismatch() }
                return decoded
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Mismatch() }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try literal("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Mismatch() }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw Mismatch() }
                    scalars.append(contentsOf: String(Character(scalar)).utf8)
                default: throw Mismatch()
                }
            default:
                guard byte >= 0x20 else { throw Mismatch() }
                scalars.append(byte)
            }
        }
    }

    private mutating func hex4() throws(Mismatch) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Mismatch() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw Mismatch()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Calls `field` with each key of an object; `field` reads the value or calls `skip`.
    /// A key that comes twice, or is written with escapes, is left to `JSONDecoder` (which
    /// keeps the first of two).
    mutating func object(_ field: (String, inout JSONCursor) throws(Mismatch) -> Void) throws(Mismatch) {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { index += 1; return }
        try withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 24) { (keys: UnsafeMutableBufferPointer<Range<Int>>) throws(Mismatch) in
            var count = 0
            while true {
                guard try peek() == UInt8(ascii: "\""), count < keys.count else { throw Mismatch() }
                let start = index + 1
                let key = try string()
                let range = start..<(index - 1)
                guard range.count == key.utf8.count else { throw Mismatch() }
                for earlier in keys[0..<count] where earlier.count == range.count {
                    if bytes[earlier].elementsEqual(bytes[range]) { throw Mismatch() }
                }
                keys[count] = range
                count += 1
                try expect(UInt8(ascii: ":"))
                try field(key, &self)
                let next = try peek()
                index += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw Mismatch() }
            }
        }
    }

    /// Reads an array, each element with `element`.
    mutating func array<Element>(_ element: (inout JSONCursor) throws(Mismatch) -> Element) throws(Mismatch) -> [Element] {
        try expect(UInt8(ascii: "["))
        var elements: [Element] = []
        if try peek() == UInt8(ascii: "]") { index += 1; return elements }
        while true {
            elements.append(try element(&self))
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return elements }
            guard next == UInt8(ascii: ",") else { throw Mismatch() }
        }
    }

    /// Passes over one value of any kind.
    mutating func skip() throws(Mismatch) {
        switch try peek() {
        case UInt8(ascii: "{"): try object { _, cursor throws(Mismatch) in try cursor.skip() }
        case UInt8(ascii: "["): _ = try array { cursor throws(Mismatch) in try cursor.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    /// A number as JSON writes it: `-`? (`0` | digits not starting with 0) (`.` digits)?
    /// (`e`|`E` `+`|`-`? digits)?; anything else is left to JSONDecoder to judge (it passes
    /// over some malformed numbers in fields it does not read and refuses others).
    private mutating func skipNumber() throws(Mismatch) {
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let count = digits()
        guard count > 0, count == 1 || bytes[integerStart] != 0x30 else { throw Mismatch() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw Mismatch() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw Mismatch() }
        }
    }

    /// An optional value: nil for `null` (a missing key is the caller's default).
    mutating func optional<Value>(_ read: (inout JSONCursor) throws(Mismatch) -> Value) throws(Mismatch) -> Value? {
        try null() ? nil : try read(&self)
    }
}

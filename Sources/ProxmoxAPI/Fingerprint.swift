import Crypto
import Foundation

/// A SHA-256 certificate fingerprint: 32 bytes, written as lowercase colon-separated hex.
///
/// Parsing accepts both PBS's form (`aa:bb:…`) and openssl's (`AA:BB:…`), and plain hex
/// without colons; comparison is on the bytes, so case never matters.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Parses a fingerprint; nil unless it is exactly 32 hex bytes.
    public init?(_ text: String) {
        let hex = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ":", with: "")
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.bytes = bytes
    }

    /// The fingerprint of a DER-encoded certificate, the way PBS and openssl compute it.
    public init(sha256OfDER der: [UInt8]) {
        bytes = Array(SHA256.hash(data: der))
    }

    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ":")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Fingerprint(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "not a SHA-256 fingerprint: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

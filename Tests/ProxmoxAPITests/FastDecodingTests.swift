import Foundation
@testable import ProxmoxAPI
import TestSupport
import Testing

/// The direct reader for big answers reads what `JSONDecoder` reads, and leaves everything
/// else to it.
@Suite struct FastDecodingTests {
    private func both<T: FastDecodable & Decodable>(_ type: T.Type, _ json: String) throws -> (fast: T?, foundation: T) {
        let bytes = Array(json.utf8)
        return (T.fastDecode(bytes), try JSONDecoder().decode(T.self, from: Data(bytes)))
    }

    @Test func answersShapedLikePBSReadTheSame() throws {
        let snapshots = #"""
        {"data":[{"backup-type":"vm","backup-id":"100","backup-time":1796000000,"files":[{"filename":"index.json.blob","crypt-mode":"none","size":517},
          {"filename":"drive-scsi0.img.fidx","crypt-mode":"encrypt","size":null}],"size":34603525,"owner":"sync@pbs!pull","protected":false,
          "verification":{"state":"ok","upid":"UPID:pbs1:00000001:00000001:00000007:6B0E3A00:verificationjob:main\\x3av:root@pam:"},
          "comment":"caf\u00e9 \ud83d\ude00 \"quoted\" \/ \\ \n\t","fingerprint":"aa:bb","new-field":{"nested":[1,2.5e3,{"x":null}],"t":true}},
         {"backup-type":"ct","backup-id":"200","backup-time":-5,"files":[],"protected":true,"owner":null,"verification":null,"size":null} ],
         "total": 2, "digest" : null }
        """#
        let (fast, foundation) = try both(Envelope<[SnapshotListItem]>.self, snapshots)
        #expect(fast?.data == foundation.data && fast?.total == 2 && foundation.total == 2)
        let groups = #"{"data":[{"backup-type":"vm","backup-id":"100","last-backup":1796000000,"backup-count":3,"files":["index.json.blob"],"owner":"root@pam","comment":"x"}]}"#
        let (fastGroups, foundationGroups) = try both(Envelope<[GroupListItem]>.self, groups)
        #expect(fastGroups?.data == foundationGroups.data && fastGroups != nil)
        let log = #"{"data":[{"n":1,"t":"start"},{"n":2,"t":"TASK ERROR: \u001b[31mfailed"}],"total":2,"success":1,"active":false}"#
        let repeated = #"{"data":[{"backup-type":"vm","backup-id":"1","backup-id":"2","backup-time":1,"files":[],"protected":false,"protected":true}]}"#
        // A repeated key is left to JSONDecoder (it keeps the first).
        let (fastRepeated, foundationRepeated) = try both(Envelope<[SnapshotListItem]>.self, repeated)
        #expect(fastRepeated == nil)
        let connection = APIConnection(transport: NoTransport(), endpoint: Endpoint(host: "pbs1", port: 8007, fingerprint: Fingerprint(String(repeating: "00", count: 32))!), authorization: nil)
        #expect(try connection.decodeFast(Envelope<[SnapshotListItem]>.self, from: Array(repeated.utf8), path: "/x").data == foundationRepeated.data)
        let (fastLog, foundationLog) = try both(TaskLogPage.self, log)
        #expect(fastLog == foundationLog && fastLog != nil)
    }

    @Test(arguments: 1...6) func randomListsReadTheSame(seed: UInt64) throws {
        var random = SeededRandom(seed)
        let alphabet = Array("aZ09 -_:./\\\"\u{00e9}\u{1F600}\n\t\u{0001}")
        func text() -> String { String((0..<random.below(12)).map { _ in alphabet[random.below(alphabet.count)] }) }
        let items = (0..<200).map { _ in
            var item = SnapshotListItem(backupType: text(), backupID: text(), backupTime: Int64(bitPattern: random.next()),
                                        files: (0..<random.below(3)).map { _ in .init(filename: text(), cryptMode: random.below(2) == 0 ? nil : text(), size: random.below(2) == 0 ? nil : Int64(random.below(1 << 30))) },
                                        size: random.below(3) == 0 ? nil : Int64(random.below(1 << 40)), owner: random.below(2) == 0 ? nil : text(),
                                        protected: random.below(2) == 0, verification: random.below(2) == 0 ? nil : .init(state: text(), upid: text()))
            item.comment = random.below(2) == 0 ? nil : text()
            return item
        }
        let json = String(decoding: try JSONEncoder().encode(Envelope(data: items)), as: UTF8.self)
        let (fast, foundation) = try both(Envelope<[SnapshotListItem]>.self, json)
        #expect(fast?.data == foundation.data && foundation.data == items)
    }

    /// What the fast path does not read, `JSONDecoder` judges, with its own message.
    @Test(arguments: [
        (#"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":1,"files":[]}]}"#, "field 'protected' is missing"),
        (#"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":null,"files":[],"protected":false}]}"#, "is null"),
        (#"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":1.5,"files":[],"protected":false}]}"#, "cannot read"),
        (#"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":1,"files":[],"protected":0}]}"#, "protected"),
        (#"{"data":[]} trailing"#, "not valid JSON"),
        (#"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":99999999999999999999,"files":[],"protected":false}]}"#, "cannot read"),
    ]) func otherShapesAreLeftToJSONDecoder(json: String, message: String) {
        let bytes = Array(json.utf8)
        #expect(Envelope<[SnapshotListItem]>.fastDecode(bytes) == nil)
        let connection = APIConnection(transport: NoTransport(), endpoint: Endpoint(host: "pbs1", port: 8007, fingerprint: Fingerprint(String(repeating: "00", count: 32))!), authorization: nil)
        #expect(throws: APIError.self) { try connection.decodeFast(Envelope<[SnapshotListItem]>.self, from: bytes, path: "/api2/json/x") }
        do {
            _ = try connection.decodeFast(Envelope<[SnapshotListItem]>.self, from: bytes, path: "/api2/json/x")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// An unknown field is passed over only when it is JSON; a malformed number there is
    /// JSONDecoder's to judge (it passes over some, `1-2` or `01`, and refuses others, `+1`
    /// or `.5`), and the answer is what it says.
    @Test(arguments: ["1-2", "01", "1.", ".5", "1e", "-", "+1", "1e+", "--1"])
    func aMalformedNumberInAnUnknownFieldIsLeftToJSONDecoder(number: String) {
        let json = #"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":1,"files":[],"protected":false,"x":"# + number + "}]}"
        #expect(Envelope<[SnapshotListItem]>.fastDecode(Array(json.utf8)) == nil)
        let connection = APIConnection(transport: NoTransport(), endpoint: Endpoint(host: "pbs1", port: 8007, fingerprint: Fingerprint(String(repeating: "00", count: 32))!), authorization: nil)
        let read = try? connection.decodeFast(Envelope<[SnapshotListItem]>.self, from: Array(json.utf8), path: "/x").data
        #expect(read == (try? JSONDecoder().decode(Envelope<[SnapshotListItem]>.self, from: Data(json.utf8)).data))
    }

    @Test(arguments: ["0", "-0", "12.5", "1e10", "-3.25E-4", "0.0e+1"])
    func aWellFormedNumberInAnUnknownFieldIsPassedOver(number: String) throws {
        let json = #"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":1,"files":[],"protected":false,"x":"# + number + "}]}"
        let fast = try #require(Envelope<[SnapshotListItem]>.fastDecode(Array(json.utf8)))
        #expect(fast.data == (try JSONDecoder().decode(Envelope<[SnapshotListItem]>.self, from: Data(json.utf8))).data)
    }

    /// A float that is a whole number: `JSONDecoder` may take it; the fast path leaves it.
    @Test func aWholeFloatIsJudgedByJSONDecoder() throws {
        let json = #"{"data":[{"backup-type":"vm","backup-id":"1","backup-time":2.0,"files":[],"protected":false}]}"#
        #expect(Envelope<[SnapshotListItem]>.fastDecode(Array(json.utf8)) == nil)
        let connection = APIConnection(transport: NoTransport(), endpoint: Endpoint(host: "pbs1", port: 8007, fingerprint: Fingerprint(String(repeating: "00", count: 32))!), authorization: nil)
        let viaFoundation = try? JSONDecoder().decode(Envelope<[SnapshotListItem]>.self, from: Data(json.utf8)).data
        #expect((try? connection.decodeFast(Envelope<[SnapshotListItem]>.self, from: Array(json.utf8), path: "/x").data) == viaFoundation)
    }
}

private struct NoTransport: HTTPTransport {
    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse { throw .decoding(host: "", path: "", detail: "unused") }
}

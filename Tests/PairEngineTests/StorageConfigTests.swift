import PairEngine
import Testing

/// storage.cfg read as PVE reads it, rewritten line by line.
@Suite struct StorageConfigTests {
    static let oldPin = "0b:30:55:7a:9f:c4:e9:0e:33:58:7d:a2:c7:ec:11:36:5b:80:a5:ca:ef:14:39:5e:83:a8:cd:f2:17:3c:61:86"
    static let newPin = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"
    static let secondary = StorageConfig.Target(server: "192.0.2.20", datastore: "mirror", fingerprint: newPin, username: "pve@pbs!backup")

    /// As PVE writes it (shared/reference/pve-side.md 1.3): TABs, an encrypted entry, `\n\n` at the end.
    static let pveWritten = """
        dir: local
        \tpath /var/lib/vz
        \tcontent iso,backup,vztmpl

        lvmthin: local-lvm
        \tthinpool data
        \tvgname pve
        \tcontent rootdir,images

        pbs: pbs-main
        \tdatastore store1
        \tserver 192.0.2.10
        \tcontent backup
        \tencryption-key 07:3c:71:a6:db:10:45:7a:af:e4:19:4e:83:b8:ed:22:57:8c:c1:f6:2b:60:95:ca:ff:34:69:9e:d3:08:3d:72
        \tfingerprint \(oldPin)
        \tnamespace site-a
        \tprune-backups keep-last=3,keep-daily=7
        \tusername pve-sync@pbs!cluster1


        """

    @Test func aPVEWrittenFileChangesOnlyTheIntendedLines() throws {
        let config = try StorageConfig(Self.pveWritten)
        #expect(config.text == Self.pveWritten)
        let changed = try config.retargeting("pbs-main", to: Self.secondary).text
        let expected = Self.pveWritten
            .replacingOccurrences(of: "\tdatastore store1", with: "\tdatastore mirror")
            .replacingOccurrences(of: "\tserver 192.0.2.10", with: "\tserver 192.0.2.20")
            .replacingOccurrences(of: "\tfingerprint \(Self.oldPin)", with: "\tfingerprint \(Self.newPin)")
            .replacingOccurrences(of: "\tusername pve-sync@pbs!cluster1", with: "\tusername pve@pbs!backup")
        #expect(changed == expected)
        #expect(changed.contains("encryption-key 07:3c"), "the encryption key's fingerprint stays")
    }

    /// Hand-edited: spaces, comments, a whitespace-only line inside a section, an unknown
    /// plugin type and key, similar IDs, no final newline.
    @Test func aHandEditedFileKeepsEveryOtherByte() throws {
        let text = """
            # storage for the lab, edited by hand
            pbs: backup-old
                datastore main
                server   10.0.0.5
                fingerprint \(Self.oldPin.uppercased())

            pbs: backup
              datastore  main   
              server 10.0.0.5
              # moved in 2025
              \t
              content backup
              prune-backups keep-daily=7

            thirdparty-plugin: remote-disk
            \tendpoint https://example.invalid
            \tweird-key 1
            """
        let config = try StorageConfig(text)
        #expect(config.text == text)
        let target = StorageConfig.Target(server: "10.0.0.6", datastore: "mirror", fingerprint: Self.newPin, port: 8008, namespace: "dr")
        let changed = try config.retargeting("backup", to: target).text
        let expected = """
            # storage for the lab, edited by hand
            pbs: backup-old
                datastore main
                server   10.0.0.5
                fingerprint \(Self.oldPin.uppercased())

            pbs: backup
              datastore  mirror
              server 10.0.0.6
              # moved in 2025
              \t
              content backup
              fingerprint \(Self.newPin)
              namespace dr
              port 8008
              prune-backups keep-daily=7

            thirdparty-plugin: remote-disk
            \tendpoint https://example.invalid
            \tweird-key 1
            """
        #expect(changed == expected, "\n\(changed)")
    }

    @Test func nothingChangesWhenTheEntryAlreadyPointsThere() throws {
        let config = try StorageConfig(Self.pveWritten)
        let same = StorageConfig.Target(server: "192.0.2.10", datastore: "store1", fingerprint: Self.oldPin.uppercased(),
                                        username: "pve-sync@pbs!cluster1", port: 8007, namespace: "site-a")
        #expect(try config.retargeting("pbs-main", to: same).text == Self.pveWritten)
    }

    @Test(arguments: [
        ("pbs: a\r\n\tserver x\r\n\tdatastore y\r\n", 1, "CRLF"),
        ("pbs: a\n\tserver x\n", 1, "has no datastore"),
        ("dir: local\n\tpath /var/lib/vz\n\npbs: b\n\tdatastore y\n", 4, "has no server"),
        ("pbs: a\n\tserver x\n\tdatastore y\n\ndir: a\n\tpath /x\n", 5, "defined twice (first on line 1)"),
        ("pbs: a\n\tserver x\n\tdatastore y\npbs: b\n\tserver x\n\tdatastore z\n", 4, "no empty line before it"),
        ("pbs a\n\tserver x\n", 1, "neither a section header"),
    ])
    func whatPVEWouldMisreadIsRefusedWithTheLine(text: String, line: Int, message: String) {
        #expect { try StorageConfig(text) } throws: { error in
            guard let error = error as? StorageConfigError else { return false }
            return error.line == line && error.message.contains(message)
        }
    }

    @Test func anUnknownOrNonPBSStorageIsRefused() throws {
        let config = try StorageConfig(Self.pveWritten)
        #expect(throws: StorageConfigError.self) { try config.retargeting("pbs", to: Self.secondary) }
        #expect { try config.retargeting("pbs", to: Self.secondary) } throws: { "\($0)".contains("it has: local, local-lvm, pbs-main") }
        #expect { try config.retargeting("local", to: Self.secondary) } throws: { "\($0)".contains("of type dir, not pbs") }
    }
}

/// Random storage.cfg files: an unchanged file round-trips, a retarget changes only its lines.
@Suite struct StorageConfigPropertyTests {
    /// Deterministic pseudo-random numbers (SplitMix64), so a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    static func file(_ random: inout Random) -> (text: String, pbsIDs: [String]) {
        var sections: [String] = []
        var ids: [String] = []
        let count = 1 + random.next(5)
        for number in 0..<count {
            let indent = random.pick(["\t", "  ", "    ", " \t"])
            let id = random.pick(["backup", "backup-old", "pbs", "store", "b1"]) + "\(number)"
            var lines: [String] = []
            if random.next(4) == 0 { lines.append(random.pick(["# comment", "  # indented comment"])) }
            let isPBS = number == 0 || random.next(2) == 0
            lines.append("\(isPBS ? random.pick(["pbs", "PBS"]) : random.pick(["dir", "nfs", "unknown-plugin"])): \(id)\(random.pick(["", " "]))")
            var properties = isPBS ? ["datastore ds\(random.next(9))", "server 10.0.\(random.next(9)).\(random.next(9))"] : ["path /srv/\(id)"]
            for _ in 0..<random.next(5) {
                properties.append(random.pick(["content backup", "fingerprint " + StorageConfigTests.oldPin, "username u@pbs!t",
                                               "nodes a,b", "port 8007", "namespace ns", "disable", "mystery value with  spaces  "]))
            }
            if random.next(2) == 0 { properties.shuffle(using: &random) }
            for property in properties {
                lines.append(indent + property)
                if random.next(6) == 0 { lines.append(random.pick(["\t", "   ", "# note"])) }
            }
            if isPBS { ids.append(id) }
            sections.append(lines.joined(separator: "\n"))
        }
        var text = (random.next(3) == 0 ? "# header comment\n\n" : "") + sections.joined(separator: random.pick(["\n\n", "\n\n\n"]))
        text += random.pick(["", "\n", "\n\n"])
        return (text, ids)
    }

    @Test func randomFilesRoundTripAndRetargetTouchesOnlyItsLines() throws {
        var random = Random(state: 20_261_201)
        for round in 0..<400 {
            let (text, ids) = Self.file(&random)
            let config = try StorageConfig(text)
            #expect(config.text == text, "round \(round)")
            let id = random.pick(ids)
            let target = StorageConfig.Target(server: "192.0.2.\(random.next(250))", datastore: "mirror", fingerprint: StorageConfigTests.newPin,
                                              username: random.next(2) == 0 ? "pve@pbs!backup" : nil, port: random.pick([nil, 8007, 8008]),
                                              namespace: random.pick([nil, "dr"]))
            let changed = try config.retargeting(id, to: target)
            // Read back as PVE would: the target has the new values, everything else is as it was.
            let reread = try StorageConfig(changed.text)
            let section = try #require(reread.section(id))
            #expect(reread.value(of: "server", in: section) == target.server)
            #expect(reread.value(of: "datastore", in: section) == "mirror")
            #expect(reread.value(of: "fingerprint", in: section)?.lowercased() == StorageConfigTests.newPin)
            if let username = target.username { #expect(reread.value(of: "username", in: section) == username) }
            if let namespace = target.namespace { #expect(reread.value(of: "namespace", in: section) == namespace) }
            for other in config.sections where other.id != id {
                let again = try #require(reread.section(other.id))
                for key in ["server", "datastore", "fingerprint", "path", "content"] {
                    #expect(reread.value(of: key, in: again) == config.value(of: key, in: other))
                }
            }
            // Line by line: only lines inside the target section differ, and only lines of the keys meant.
            let before = text.split(separator: "\n", omittingEmptySubsequences: false)
            let after = changed.text.split(separator: "\n", omittingEmptySubsequences: false)
            let removed = before.filter { !after.contains($0) }
            let added = after.filter { !before.contains($0) }
            let keys = ["server", "datastore", "fingerprint", "username", "port", "namespace"]
            #expect(removed.allSatisfy { line in keys.contains { line.trimmingCharacters(in: .whitespaces).hasPrefix($0) } }, "round \(round)")
            #expect(added.allSatisfy { line in keys.contains { line.trimmingCharacters(in: .whitespaces).hasPrefix($0) } }, "round \(round)")
            #expect(after.count - before.count <= 4)
        }
    }
}

extension StorageConfigPropertyTests.Random: RandomNumberGenerator {
    mutating func next() -> UInt64 { UInt64(next(Int.max)) }
}

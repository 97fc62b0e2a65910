import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// `edit-storage-cfg` through the lab config's `remote-shell`, the way an operator would do it
/// over ssh: read the file, take PVE's lock, write a temporary file, rename it over.
@Suite(.serialized) struct LabShellTests {
    /// Runs the config's remote-shell with `command` appended, feeding `input` on stdin.
    private func shell(_ remoteShell: String, _ command: String, input: String = "") async throws -> (code: Int32, out: String, err: String) {
        let words = try ShellWords.split(remoteShell)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: words[0])
        process.arguments = Array(words.dropFirst()) + [command]
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // Poll rather than block: the lab answering the child runs in this process.
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }

    @Test func aRetargetThroughTheShellMovesTheNextScheduledBackup() async throws {
        let lab = try await RunningLab.start()
        let host = lab.config.pve[0]
        let remoteShell = try #require(host.remoteShell)
        let read = try await shell(remoteShell, "cat /etc/pve/storage.cfg")
        #expect(read.code == 0, "\(read.err)")
        let secondary = lab.config.secondary
        let pveToken = try #require(secondary.pveToken)
        let target = StorageConfig.Target(server: secondary.host, datastore: secondary.datastore, fingerprint: secondary.fingerprint.description,
                                          username: pveToken.authID, port: secondary.port)
        let retargeted = try StorageConfig(read.out).retargeting(host.storage, to: target).text
        let changed = zip(read.out.split(separator: "\n"), retargeted.split(separator: "\n")).filter { $0 != $1 }.map { String($1) }
        #expect(changed.map { $0.split(separator: " ")[0] } == ["\tdatastore", "\tfingerprint", "\tport"], "\(changed)")

        let write = "mkdir /etc/pve/priv/lock/file-storage_cfg && cat > /etc/pve/storage.cfg.tmp.4242 "
            + "&& mv /etc/pve/storage.cfg.tmp.4242 /etc/pve/storage.cfg; status=$?; rmdir /etc/pve/priv/lock/file-storage_cfg; exit $status"
        #expect(try await shell(remoteShell, write, input: retargeted).code == 0)
        #expect(try await shell(remoteShell, "umask 077 && cat > /etc/pve/priv/storage/\(host.storage).pw", input: pveToken.secret + "\n").code == 0)
        #expect(try await shell(remoteShell, "cat /etc/pve/storage.cfg").out == retargeted)

        // PVE's API reads the new file at once.
        let pve = PVEClient(transport: try lab.transport(), endpoint: host.endpoint, token: host.token)
        let entry = try #require(try await pve.pbsStorages().first { $0.storage == host.storage })
        #expect(entry.datastore == "mirror" && entry.port == secondary.port)

        // The next scheduled backup reaches the secondary, where the synced groups belong to
        // the sync job's owner: every guest is refused by PBS's owner check.
        let before = await lab.runtime.inspect { $0.secondary.snapshots.count }
        _ = try await lab.ctl("advance 4h")
        let refused = try await lab.ctl("show pve")
        #expect(refused.contains("ERROR: Backup of VM 100 failed - backup owner check failed (pve@pbs!backup != root@pam)"), "\(refused)")
        #expect(await lab.runtime.inspect { $0.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count } == 0)

        // After change-owner, the next one lands on the secondary.
        let operatorClient = PBSClient(transport: try lab.transport(), endpoint: secondary.endpoint, token: try #require(secondary.operatorToken))
        for guest in ["100", "101", "102"] { try await operatorClient.changeOwner(store: "mirror", type: "vm", id: guest, to: pveToken.authID) }
        try await operatorClient.changeOwner(store: "mirror", type: "ct", id: "200", to: pveToken.authID)
        _ = try await lab.ctl("advance 4h")
        let landed = await lab.runtime.inspect { world in world.secondary.snapshots.filter { $0.owner == "pve@pbs!backup" && $0.group == "vm/100" }.count }
        #expect(landed > 0)
        #expect(await lab.runtime.inspect { $0.secondary.snapshots.count } > before)
        await lab.stop()
    }

    /// The lab's paths may hold blanks and quotes: its remote-shell quotes them.
    @Test func aLabInADirectoryWithBlanksAndQuotesStillHasAWorkingShell() async throws {
        var template = Array((NSTemporaryDirectory() + "pbsha lab's XXXXXX").utf8CString)
        let directory = String(cString: mkdtemp(&template)!)
        let slot = await LabSlot.take()
        defer { slot.give() }
        let runtime = try await LabRuntime.start(stateDir: directory, clock: ManualClock(RunningLab.usualStart), pbshaCommand: Spawned.binary)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try ConfigLoader.load(path: runtime.configPath)
        let remoteShell = try #require(config.pve.first?.remoteShell)
        let read = try await shell(remoteShell, "cat /etc/pve/storage.cfg")
        #expect(read.code == 0 && read.out.contains("pbs: backup-primary"), "\(remoteShell): \(read.err)")
        await runtime.shutdown()
    }

    @Test func aDownHostFailsLikeSSH() async throws {
        let lab = try await RunningLab.start()
        let remoteShell = try #require(lab.config.pve[0].remoteShell)
        _ = try await lab.ctl("node pve-a down")
        let down = try await shell(remoteShell, "cat /etc/pve/storage.cfg")
        #expect(down.code == 255 && down.err.contains("ssh: connect to host pve-a port 22: Connection refused") && down.out.isEmpty)
        _ = try await lab.ctl("node pve-a up")
        #expect(try await shell(remoteShell, "test -f /etc/pve/storage.cfg").code == 0)
        #expect(try await shell(remoteShell, "exit 7").code == 7, "the command's exit status comes back, as with ssh")
        await lab.stop()
    }

    /// An edit renamed in after the lab last read the disk, and before it writes files for
    /// another reason (an API write to another host, a `lab ctl`), is read, not overwritten.
    @Test func anEditArrivingJustBeforeALabWriteSurvives() async throws {
        let lab = try await RunningLab.start()
        let root = lab.runtime.pveRoot("pve-b")
        let edited = try String(contentsOfFile: "\(root)/storage.cfg", encoding: .utf8) + "# edited by hand\n"
        try edited.write(toFile: "\(root)/storage.cfg.tmp.1", atomically: false, encoding: .utf8)
        #expect(rename("\(root)/storage.cfg.tmp.1", "\(root)/storage.cfg") == 0)
        try await lab.runtime.writePVEFiles()
        #expect(try String(contentsOfFile: "\(root)/storage.cfg", encoding: .utf8) == edited, "the lab overwrote the edit")
        await lab.runtime.tick()
        #expect(await lab.runtime.inspect { $0.pve[1].storageCfg.hasSuffix("# edited by hand\n") })
        await lab.stop()
    }
}

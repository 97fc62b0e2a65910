import PairEngine

/// The `lab ctl` commands: fault injection and time travel.
enum LabCommand {
    static let usage = """
        commands: node primary|secondary|PVE-NAME down|up|hang; node primary|secondary maintenance offline|read-only|off;
                  sync fail|warn|heal; corrupt secondary N; backup now; advance DURATION; show pve; status;
                  acl primary|secondary AUTHID PATH ROLE|none; owner primary|secondary TYPE/ID AUTHID;
                  firewall primary|secondary block-pve|open; cert primary|secondary renew; pve NAME backup-token revoke;
                  pve NAME acl TOKEN PATH ROLE|none;
                  show notifications|vzdump
        """

    /// Runs a command that changes only the world (the runtime handles `node NAME MODE`,
    /// which starts and stops listeners). Synchronous on purpose: the world is changed in
    /// place on the runtime's actor, never on a copy that a concurrent request could outdate.
    static func run(_ words: [String], on world: inout LabWorld, anchor: inout Int64) -> (ok: Bool, message: String) {
        switch words {
        case let w where w.count == 4 && w[0] == "node" && w[2] == "maintenance":
            guard let role = NodeRole(rawValue: w[1]) else { return (false, "maintenance mode is a PBS datastore's; use primary or secondary") }
            guard ["offline", "read-only", "off"].contains(w[3]) else { return (false, "unknown maintenance mode '\(w[3])'; use offline, read-only or off") }
            return (true, world.setMaintenance(role, w[3] == "off" ? nil : w[3]))
        case let w where w.count == 5 && w[0] == "acl":
            guard let role = NodeRole(rawValue: w[1]) else { return (false, "ACLs are a PBS node's; use primary or secondary") }
            return world.setACL(role, authID: w[2], path: w[3], to: w[4])
        case let w where w.count == 4 && w[0] == "owner":
            guard let role = NodeRole(rawValue: w[1]) else { return (false, "owners are a PBS node's; use primary or secondary") }
            return world.setOwner(role, group: w[2], to: w[3])
        case ["sync", "fail"]:
            world.faults.syncFails = true
            return (true, "sync runs now fail (every group: connection reset); 'sync heal' ends it")
        case ["sync", "warn"]:
            world.faults.syncWarns = true
            return (true, "sync runs now complete with a warning (WARNINGS: 1); 'sync heal' ends it")
        case ["sync", "heal"]:
            world.faults.syncFails = false
            world.faults.syncWarns = false
            return (true, "sync runs succeed again from the next run")
        case let w where w.count == 3 && w[0] == "corrupt" && w[1] == "secondary":
            guard let count = Int(w[2]), count > 0 else { return (false, "corrupt takes a positive number, got '\(w[2])'") }
            let names = world.corrupt(.secondary, count: count)
            return (true, "corrupted \(names.count) snapshot(s) on the secondary; the next verify job run will fail them:\n"
                    + names.map { "  " + $0 }.joined(separator: "\n"))
        case ["backup", "now"]:
            return (true, "started backups: \(world.backupNow()) new snapshot(s)")
        case let w where w.count == 2 && w[0] == "advance":
            let seconds: Int
            do { seconds = try Durations.parse(w[1]) } catch { return (false, error.description) }
            anchor += Int64(seconds)
            world.advance(to: world.now + Int64(seconds))
            return (true, "advanced \(Durations.format(seconds)); world time is now \(Timestamps.rfc3339(world.now))")
        case let w where w.count == 2 && w[0] == "shell-target":
            // For `lab shell`: how the host answers, and where its /etc/pve is.
            guard let host = world.pve.first(where: { $0.name == w[1] }) else {
                return (false, "unknown host '\(w[1])'; the lab's PVE hosts: \(world.pve.map(\.name).joined(separator: ", "))")
            }
            return (true, host.mode.rawValue)
        case let w where w.count == 3 && w[0] == "firewall":
            guard let role = NodeRole(rawValue: w[1]), ["block-pve", "open"].contains(w[2]) else {
                return (false, "usage: firewall primary|secondary block-pve|open")
            }
            return (true, world.setFirewall(role, blockPVE: w[2] == "block-pve"))
        case let w where w.count == 6 && w[0] == "pve" && w[2] == "acl":
            return world.setPVEACL(host: w[1], authID: w[3], path: w[4], to: w[5])
        case let w where w.count == 4 && w[0] == "pve" && w[2] == "backup-token" && w[3] == "revoke":
            return world.revokeBackupToken(host: w[1])
        case ["show", "vzdump"]:
            return (true, world.describeVzdumps())
        case ["show", "notifications"]:
            return (true, world.describeNotifications())
        case ["show", "pve"]:
            return (true, world.describePVE())
        case ["status"]:
            return (true, world.describe())
        default:
            return (false, "unknown command '\(words.joined(separator: " "))'\n\(usage)")
        }
    }
}

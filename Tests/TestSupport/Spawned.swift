import Foundation

/// Runs the built `pbsha` binary (or another program) as a child process with a clean
/// signal mask: Foundation.Process would pass on the blocked mask of the thread that
/// starts it, and the child could then be neither resized nor stopped with SIGTERM.
public struct Spawned: Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String

    /// The `pbsha` executable next to the test bundle.
    public static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pbsha").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/pbsha").path
    }

    public static func start(_ arguments: [String], directory: String, environment: [String: String] = [:], executable: String? = nil) -> Spawned {
        let out = "\(directory)/out-\(UUID().uuidString)"
        let err = out + ".err"
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PBSHA") }
        env.merge(environment) { $1 }
        // env -C sets the working directory (Swift's Glibc does not export posix_spawn_file_actions_addchdir_np).
        let argv = (["/usr/bin/env", "-C", directory, executable ?? binary] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, envp)
        precondition(result == 0, "cannot start \(binary): \(result)")
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        return Spawned(pid: pid, stdoutPath: out, stderrPath: err)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The exit code once the child has ended (-1 when it was killed at `deadline`); nil while it runs.
    private func reap(killAfter deadline: Date) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == 0 else { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        guard Date() > deadline else { return nil }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return -1
    }

    /// Waits for the exit status without holding a thread of Swift's cooperative pool (an
    /// in-process lab may need it to answer), killing the child after `timeout` seconds.
    public func wait(timeout: Double = 60) async -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let code = reap(killAfter: deadline) { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Kills the child at once and reaps it (a killed process is reaped without waiting).
    public func killAndReap() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Polls stdout until it contains `text`, without blocking a cooperative thread.
    public func waitForOutput(_ text: String, timeout: Double = 60) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Runs to completion without blocking a cooperative thread.
    public static func run(_ arguments: [String], directory: String, environment: [String: String] = [:],
                           executable: String? = nil, timeout: Double = 60) async -> (code: Int32, out: String, err: String) {
        let child = start(arguments, directory: directory, environment: environment, executable: executable)
        let code = await child.wait(timeout: timeout)
        return (code, child.stdout, child.stderr)
    }

    public static func temporaryDirectory() -> String {
        var template = Array((NSTemporaryDirectory() + "pbsha-e2e-XXXXXX").utf8CString)
        return String(cString: mkdtemp(&template)!)
    }
}

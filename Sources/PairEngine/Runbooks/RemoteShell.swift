import Foundation

/// How the engine reaches a PVE host's files for `edit-storage-cfg`: a command line such as
/// `ssh -o BatchMode=yes root@pve1` with the remote command appended as one argument.
public protocol RemoteShell: Sendable {
    func run(_ command: String, input: String) async -> ShellResult
}

/// What a remote command answered.
public struct ShellResult: Sendable, Equatable {
    public var status: Int32
    public var output: String
    public var error: String

    public init(status: Int32, output: String, error: String) {
        self.status = status
        self.output = output
        self.error = error
    }
}

/// Runs the config's `remote-shell` (split into words as a shell would, `ShellWords`) with the
/// command appended as one last argument.
public struct ProcessShell: RemoteShell {
    public let commandLine: String

    public init(_ commandLine: String) { self.commandLine = commandLine }

    public func run(_ command: String, input: String) async -> ShellResult {
        let words: [String]
        do { words = try ShellWords.split(commandLine) } catch {
            return ShellResult(status: 255, output: "", error: "remote-shell: \(error)")
        }
        guard let program = words.first else { return ShellResult(status: 255, output: "", error: "remote-shell is empty") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = (program.hasPrefix("/") ? [] : [program]) + words.dropFirst() + [command]
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let finished = AsyncStream<Void> { continuation in process.terminationHandler = { _ in continuation.finish() } }
        do { try process.run() } catch {
            return ShellResult(status: 255, output: "", error: "cannot run \(program): \(error)")
        }
        // Read while the child runs, so a large answer cannot fill the pipe and stall it.
        async let output = Self.readAll(stdout.fileHandleForReading)
        async let errors = Self.readAll(stderr.fileHandleForReading)
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        for await _ in finished {}
        return ShellResult(status: process.terminationStatus, output: String(decoding: await output, as: UTF8.self),
                           error: String(decoding: await errors, as: UTF8.self))
    }

    /// Reads a pipe to its end on a thread of its own: a blocking read must never hold one of
    /// the few threads Swift's concurrency runs on (the lab may be answering on them).
    private static func readAll(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
}

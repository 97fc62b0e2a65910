import Foundation

/// What the process has used: CPU seconds, wall time, resident memory.
enum Usage {
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func wallSeconds() -> Double { Date().timeIntervalSince1970 }

    /// Resident memory now and its peak since `resetPeak` (Linux `/proc/self/status`), MB.
    static func residentMB() -> (now: Double, peak: Double) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return .nan }
            return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan) / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// Hands freed heap back to the system (so that new allocations show in the resident
    /// size instead of reusing it), then starts the peak over from the resident size now
    /// (Linux: `clear_refs` 5).
    static func resetPeak() {
        // glibc's malloc_trim, which Swift's Glibc module does not declare.
        if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// `body`'s CPU and wall seconds.
    static func measure<T>(_ body: () async throws -> T) async rethrows -> (value: T, cpu: Double, wall: Double) {
        let cpu = cpuSeconds(), wall = wallSeconds()
        let value = try await body()
        return (value, cpuSeconds() - cpu, wallSeconds() - wall)
    }
}

/// One printed figure beside its target.
func report(_ what: String, _ figure: String, target: String = "", met: Bool? = nil) {
    let verdict = met.map { $0 ? "met" : "NOT MET" } ?? ""
    print("\(what.padding(toLength: 56, withPad: " ", startingAt: 0)) \(figure.padding(toLength: 30, withPad: " ", startingAt: 0)) \(target)\(verdict.isEmpty ? "" : " (\(verdict))")")
}

import Foundation

/// The clock the console and the engine read and wait on, injected so that tests run on a
/// manual one.
public protocol WallClock: Sendable {
    /// Seconds since the epoch.
    func now() -> Double
    /// Waits `seconds` on this clock (a manual clock moves instead of waiting).
    func sleep(seconds: Double) async
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(seconds: Double) async { try? await Task.sleep(for: .seconds(seconds)) }
}

/// A clock that moves only when told to.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double

    public init(_ start: Double) { current = start }

    public func now() -> Double { lock.withLock { current } }

    public func advance(by seconds: Double) { lock.withLock { current += seconds } }

    /// Moves the clock instead of waiting, so code that polls runs at once in tests.
    public func sleep(seconds: Double) async {
        advance(by: seconds)
        await Task.yield()
    }
}

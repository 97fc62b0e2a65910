import Foundation

/// The console's clock, injected so that tests run on a manual one.
public protocol WallClock: Sendable {
    /// Seconds since the epoch.
    func now() -> Double
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

/// A clock that moves only when told to.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double

    public init(_ start: Double) { current = start }

    public func now() -> Double { lock.withLock { current } }

    public func advance(by seconds: Double) { lock.withLock { current += seconds } }
}

import Foundation

/// What the costly rules found the last time, for a console that evaluates every refresh:
/// drift and the verify counts go over every snapshot of both nodes, and while neither
/// node's kept lists changed (`NodeReading.snapshotsVersion`) nor the other inputs, the
/// answer is the same. One-shot reads have no versions and always compute.
public final class RuleMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [String: (key: AnyHashable, value: Any)] = [:]

    public init() {}

    /// `compute`'s answer for `key`, remembered under `slot`; a nil key always computes.
    func value<Key: Hashable, Value>(_ slot: String, _ key: Key?, _ compute: () -> Value) -> Value {
        guard let key else { return compute() }
        if let kept = lock.withLock({ slots[slot] }), kept.key == AnyHashable(key), let value = kept.value as? Value { return value }
        let value = compute()
        lock.withLock { slots[slot] = (AnyHashable(key), value) }
        return value
    }
}

/// The versions of both nodes' kept lists, when both have one.
struct ListVersions: Hashable {
    let primary: Int
    let secondary: Int

    init?(_ primary: NodeReading, _ secondary: NodeReading) {
        guard let p = primary.snapshotsVersion, let s = secondary.snapshotsVersion else { return nil }
        (self.primary, self.secondary) = (p, s)
    }
}

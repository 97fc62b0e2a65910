import Foundation

/// Reads the pair for a console that refreshes on a schedule, so that a slow or hung node
/// never holds back the others: each part (the primary, the secondary, the PVE hosts) is read
/// on its own, and `observe` returns once every part has answered or `patience` has passed.
/// A part still being read then keeps its last reading, marked with the time its read began
/// (`waitingSince`), and the read goes on: the next `observe` takes its answer when it comes.
public actor PairWatcher {
    enum Part: Hashable, CaseIterable { case primary, secondary, hosts }

    private let observer: PairObserver
    private let patience: Double
    private let sleep: @Sendable (Double) async -> Void
    private var started: [Part: Double] = [:]
    private var primary: NodeReading?
    private var secondary: NodeReading?
    private var hosts: ([PVEReading], [String: Set<String>])?
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var nextWaiter = 0

    /// `sleep` waits the given seconds (tests pass one they control).
    public init(observer: PairObserver, patience: Double,
                sleep: @escaping @Sendable (Double) async -> Void = { try? await Task.sleep(for: .seconds($0)) }) {
        self.observer = observer
        self.patience = patience
        self.sleep = sleep
    }

    public func observe() async -> PairState {
        let now = observer.clock.now()
        for part in Part.allCases where started[part] == nil {
            started[part] = now
            Task { await self.read(part) }
        }
        if let earlier = waiter {
            // One observer at a time; an earlier one still waiting gets what there is now.
            waiter = nil
            earlier.continuation.resume()
        }
        if !started.isEmpty {
            nextWaiter += 1
            let id = nextWaiter
            Task { [patience, sleep] in
                await sleep(patience)
                await self.release(id)
            }
            await withCheckedContinuation { waiter = (id, $0) }
        }
        return state()
    }

    /// The next read of each node reads every snapshot list again.
    public func readEverythingNext() async { await observer.readEverythingNext() }

    private func read(_ part: Part) async {
        switch part {
        case .primary: primary = await observer.read(.primary)
        case .secondary: secondary = await observer.read(.secondary)
        case .hosts: hosts = await observer.readHosts()
        }
        started[part] = nil
        if started.isEmpty, let id = waiter?.id { release(id) }
    }

    private func release(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }

    /// The newest reading of each part; a part still being read says since when.
    private func state() -> PairState {
        let config = observer.config
        func node(_ role: NodeRole, _ reading: NodeReading?, _ part: Part) -> NodeReading {
            let node = role == .primary ? config.primary : config.secondary
            var result = reading ?? NodeReading(role: role, host: node.host, datastoreName: node.datastore)
            result.waitingSince = started[part]
            return result
        }
        var state = PairState(observedAt: observer.clock.now(), primary: node(.primary, primary, .primary),
                              secondary: node(.secondary, secondary, .secondary), pve: hosts?.0 ?? [])
        state.addresses = hosts?.1 ?? [:]
        return state
    }
}

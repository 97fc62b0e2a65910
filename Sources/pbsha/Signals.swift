import Foundation

/// Waiting for termination signals without killing the process.
enum Signals {
    static func wait(for signals: [Int32]) async {
        var sources: [any DispatchSourceSignal] = []
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once(continuation)
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume() }
                source.resume()
                sources.append(source)
            }
        }
        sources.forEach { $0.cancel() }
    }

    /// Resumes a continuation at most once, whichever signal comes first.
    final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Void, Never>?

        init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

        func resume() {
            lock.withLock {
                continuation?.resume()
                continuation = nil
            }
        }
    }
}

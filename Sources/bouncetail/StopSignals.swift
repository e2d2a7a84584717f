import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM; read by the loops of `follow` and `serve`, which finish their work and exit 0.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

enum StopSignals {
    /// Catches SIGINT and SIGTERM, and unblocks them: a parent may have started us with them blocked (some
    /// process launchers do), and a service must stop when told.
    static func install() {
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    static var requested: Bool { stopRequested != 0 }
}

/// A flag one thread sets and another reads.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return set }
        set { lock.lock(); set = newValue; lock.unlock() }
    }
}

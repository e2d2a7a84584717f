#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Test-only crash points: `BOUNCETAIL_FAILPOINT=name` (or `name:N` for the N-th time it is reached) makes
/// the process kill itself with SIGKILL there, as a power cut or `kill -9` would, so crash tests can stop it
/// between any two write steps.
enum FailPoint {
    private static let spec: (String, Int)? = {
        guard let v = ProcessInfo.processInfo.environment["BOUNCETAIL_FAILPOINT"], !v.isEmpty else { return nil }
        let parts = v.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    nonisolated(unsafe) private static var hits: [String: Int] = [:]

    /// Dies here if this is the armed point and hit; `lastWords` runs first (e.g. a half-written append).
    static func reach(_ name: String, lastWords: () -> Void = {}) {
        guard let (want, n) = spec, want == name else { return }
        hits[name, default: 0] += 1
        if hits[name] == n {
            lastWords()
            kill(getpid(), SIGKILL)
        }
    }
}

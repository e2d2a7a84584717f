import BounceTailCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Refusals by the policy service per address and reason (what hosted senders call "rejected" mail: the figure
/// to keep at zero), counted in memory and added every few seconds to `DIR/refusals.db`, a database of its
/// own beside the state (the service only reads the state, which its writer holds).
///
///     CREATE TABLE refusals (address TEXT, reason TEXT, count INTEGER, first TEXT, last TEXT,
///                            PRIMARY KEY (address, reason)) WITHOUT ROWID
public final class RefusalLog {
    public static let fileName = "refusals.db"
    private let path: String
    private let directory: String
    /// Addresses refused since the last flush: their number in `pending`.
    private var seen = SuppressedSet()
    private var pending: [(address: [UInt8], answer: Int, count: Int, first: Int64, last: Int64)] = []

    public init(stateDirectory: String) throws {
        directory = stateDirectory
        path = stateDirectory + "/" + Self.fileName
    }

    /// One refusal of `l[r]` with answer number `answer`.
    @inline(__always)
    func count(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, answer: Int) {
        let now = Int64(time(nil))
        if let i = seen.lookup(l, r), pending[Int(i)].answer == answer {
            pending[Int(i)].count += 1
            pending[Int(i)].last = now
            return
        }
        pending.append((ByteKey.lowered(l, r), answer, 1, now, now))
        seen.set(l, r, Int32(pending.count - 1))
    }

    /// Adds the counts to the database (created 0600 on first use) in one transaction.
    func flush(reason: (Int) -> String) throws {
        guard !pending.isEmpty else { return }
        var st = stat()
        let existed = lstat(path, &st) == 0
        if existed, (st.st_mode & S_IFMT) != S_IFREG { throw StateError(message: "\(path): not a regular file; refusals not written") }
        if !existed {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        do {
            let db = try Database(path: path, readOnly: false, create: false)
            try db.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 2000")
            try db.execute("CREATE TABLE IF NOT EXISTS refusals (address TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL, PRIMARY KEY (address, reason)) WITHOUT ROWID")
            try db.transaction {
                let s = try db.statement("INSERT INTO refusals (address, reason, count, first, last) VALUES (?, ?, ?, ?, ?) ON CONFLICT (address, reason) DO UPDATE SET count = count + excluded.count, last = excluded.last")
                for p in pending {
                    s.bind(1, text: p.address)
                    s.bind(2, reason(p.answer))
                    s.bind(3, Int64(p.count))
                    s.bind(4, Instant(seconds: p.first))
                    s.bind(5, Instant(seconds: p.last))
                    try s.run()
                }
            }
        } catch let e as DatabaseError {
            throw StateError(message: "\(path): refusal counts not written (\(e.message)); kept for the next try")
        }
        pending.removeAll()
        seen.removeAll()
    }

    /// The refusals recorded in `DIR/refusals.db`, most first; empty when the service never refused.
    public static func read(stateDirectory: String) throws -> [(address: String, reason: String, count: Int, first: String, last: String)] {
        let path = stateDirectory + "/" + fileName
        var st = stat()
        guard lstat(path, &st) == 0 else { return [] }
        do {
            let db = try Database(path: path, readOnly: true, create: false)
            let s = try db.statement("SELECT address, reason, count, first, last FROM refusals ORDER BY count DESC, address")
            var out: [(String, String, Int, String, String)] = []
            while try s.step() { out.append((s.string(0) ?? "", s.string(1) ?? "", Int(s.int(2)), s.string(3) ?? "", s.string(4) ?? "")) }
            return out
        } catch let e as DatabaseError {
            throw StateError(message: "\(path): cannot read the refusal counts (\(e.message))")
        }
    }
}

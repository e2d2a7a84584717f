import BounceTailCore
import CSQLite

/// A failed database call: the file, what was being done, and SQLite's own words.
public struct DatabaseError: Error, CustomStringConvertible {
    public let path: String
    public let doing: String
    public let code: Int32
    public let message: String
    public var description: String { "\(path): \(doing): \(message)" }

    /// The file is not a database, or its pages are damaged.
    public var isCorruption: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }

    /// The disk (or quota) is full.
    public var isFull: Bool { code & 0xff == SQLITE_FULL }
}

/// One connection to an SQLite database: the few calls the state store needs, each error naming the file.
final class Database {
    let path: String
    private(set) var handle: OpaquePointer?
    private var cached: [String: Statement] = [:]

    /// Opens `path`; `create` makes it when missing; `readOnly` never writes (a reader beside the writer).
    init(path: String, readOnly: Bool, create: Bool) throws {
        self.path = path
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        // A symbolic link in the state directory is never followed.
        flags |= SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            handle = nil
            throw DatabaseError(path: path, doing: "open", code: rc, message: message)
        }
        sqlite3_extended_result_codes(handle, 1)
        if !readOnly {
            // The WAL is checkpointed by later commits once it is large (SQLite's automatic checkpoint), not
            // at every exit: a cron run does not pay for copying its commit twice before it ends.
            bouncetail_sqlite_no_checkpoint_on_close(handle)
        }
        // Another process's short transaction (a queued command, a checkpoint) is waited for, not an error.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        for s in cached.values { s.finalize() }
        sqlite3_close_v2(handle)
    }

    func error(_ doing: String, _ rc: Int32) -> DatabaseError {
        DatabaseError(path: path, doing: doing, code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs SQL without results (several statements allowed).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(path: path, doing: "run \(sql.prefix(40))", code: rc, message: text)
        }
    }

    /// A prepared statement, kept for reuse by its SQL.
    func statement(_ sql: String) throws -> Statement {
        if let s = cached[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error("prepare \(sql.prefix(60))", rc) }
        let s = Statement(stmt, database: self)
        cached[sql] = s
        return s
    }

    /// The single integer an SQL query returns (nil when no row or NULL).
    func integer(_ sql: String) throws -> Int64? {
        let s = try statement(sql)
        defer { s.reset() }
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int(0)
    }

    /// Runs `body` in one write transaction, committed when it returns, rolled back when it throws.
    func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement. Binds are 1-based, columns 0-based, as in SQLite.
final class Statement {
    private let stmt: OpaquePointer
    private unowned let database: Database

    init(_ stmt: OpaquePointer, database: Database) {
        self.stmt = stmt
        self.database = database
    }

    func finalize() { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    /// Steps once: true when a row is ready, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = database.error("step \(String(cString: sqlite3_sql(stmt)).prefix(60))", rc)
        sqlite3_reset(stmt)
        throw e
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws {
        defer { reset() }
        try step()
    }

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    func bind(_ i: Int32, _ v: Int) { sqlite3_bind_int64(stmt, i, Int64(v)) }
    func bind(_ i: Int32, _ v: Bool) { sqlite3_bind_int64(stmt, i, v ? 1 : 0) }
    func bindNull(_ i: Int32) { sqlite3_bind_null(stmt, i) }

    /// Binds bytes as TEXT (addresses, names: readable with `sqlite3`; SQLite does not check their UTF-8).
    func bind(_ i: Int32, text bytes: UnsafeBufferPointer<UInt8>) {
        sqlite3_bind_text(stmt, i, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            .assumingMemoryBound(to: CChar.self), Int32(bytes.count), bouncetail_sqlite_transient())
    }

    func bind(_ i: Int32, text bytes: [UInt8]) { bytes.withUnsafeBufferPointer { bind(i, text: $0) } }
    func bind(_ i: Int32, _ s: String) { bind(i, text: Array(s.utf8)) }
    func bind(_ i: Int32, _ s: String?) { if let s { bind(i, s) } else { bindNull(i) } }
    func bind(_ i: Int32, _ v: Int64?) { if let v { bind(i, v) } else { bindNull(i) } }

    private var scratch: [UInt8] = []

    /// An instant as RFC 3339 text, without making a String.
    func bind(_ i: Int32, _ t: Instant?) {
        guard let t else { return bindNull(i) }
        scratch.removeAll(keepingCapacity: true)
        t.appendRFC3339(to: &scratch)
        bind(i, text: scratch)
    }

    var columnCount: Int32 { sqlite3_column_count(stmt) }
    func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    func int(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    func isInteger(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_INTEGER }

    /// A column's bytes, valid until the next step or reset.
    func bytes(_ c: Int32) -> UnsafeBufferPointer<UInt8> {
        let n = Int(sqlite3_column_bytes(stmt, c))
        guard let p = sqlite3_column_blob(stmt, c), n > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
    }

    func array(_ c: Int32) -> [UInt8] { Array(bytes(c)) }
    func string(_ c: Int32) -> String? { isNull(c) ? nil : String(decoding: bytes(c), as: UTF8.self) }
}

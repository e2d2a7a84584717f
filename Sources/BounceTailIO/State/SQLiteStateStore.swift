#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import CSQLite

/// The state directory's embedded database, `DIR/state.db` (SQLite in WAL mode; schema in `StateSchema`,
/// explained in docs/STATE.md). A writer (`track`, `follow`, a `suppress` with nobody running) locks the
/// directory; readers open it read-only beside the writer; `suppress`/`unsuppress` beside a running writer
/// queue their change in `commands`.
public final class SQLiteStateStore: StateStore {
    public enum Access { case write, read, queue }

    public let directory: String
    public var location: String { db.path }
    public private(set) var isNew = false
    /// The mode of files bouncetail creates for this state (a deltas file inside it, say).
    public var fileMode: mode_t { dir.fileMode }
    private let dir: StateDirectory
    private let db: Database
    private var readFailure: StateError?
    private var dataVersion: Int64 = 0
    /// Statements run once per row, kept at hand (finding them by their SQL would hash it every time).
    private var perRow: [Int: Statement] = [:]

    private enum Row: Int { case lookup, upsert, delete, upsertPair, deletePair, delta }

    private func statement(_ row: Row, _ sql: @autoclosure () -> String) throws -> Statement {
        if let s = perRow[row.rawValue] {
            s.reset()
            return s
        }
        let s = try db.statement(sql())
        perRow[row.rawValue] = s
        return s
    }

    static let fileName = "state.db"
    static let version1Name = "state.jsonl"
    static let version1Backup = "state.jsonl.v1-backup"

    /// The schema version this bouncetail writes (`PRAGMA user_version`).
    public static var schemaVersion: Int64 { StateSchema.version }

    public init(directory: String, access: Access) throws {
        self.directory = directory
        dir = try StateDirectory(path: directory, create: access == .write)
        if access == .write && !dir.lockForWriting() {
            throw StateError(message: "\(directory): state directory is in use by another bouncetail process (it holds the directory's lock)", inUse: true)
        }
        let path = dir.file(Self.fileName)
        switch dir.entry(Self.fileName) {
        case .other(let why): throw StateError(message: "\(path): \(why)")
        case .regular: break
        case .missing:
            guard access == .write else {
                if case .regular = dir.entry(Self.version1Name) {
                    throw StateError(message: "\(dir.file(Self.version1Name)): a version 1 state, imported by the next track or follow; run one first")
                }
                throw StateError(message: "\(directory): no state yet (track or follow writes it)")
            }
            try dir.createFile(Self.fileName)
        }
        do {
            db = try Database(path: path, readOnly: access == .read, create: false)
            try prepare(access)
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    /// Turns a database failure into the message an operator needs.
    static func stateError(_ e: DatabaseError) -> StateError {
        if e.isCorruption {
            return StateError(message: "\(e.path): corrupt state database (\(e.message)); not changed — `bouncetail check --state DIR` lists the damage; restore a backup or move the directory away to start afresh")
        }
        if e.isFull {
            return StateError(message: "\(e.path): disk full (\(e.doing)); the last commit stands and nothing committed is lost")
        }
        return StateError(message: "\(e)")
    }

    private func prepare(_ access: Access) throws {
        if access != .read {
            // WAL: readers beside the writer. FULL: a commit is on disk before the deltas file is appended.
            // A page cache of 64 MiB: a big first commit (every address of a year of logs) is not spilled to the
            // WAL page by page before it ends.
            try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536")
        }
        let app = try db.integer("PRAGMA application_id") ?? 0
        let version = try db.integer("PRAGMA user_version") ?? 0
        if app == 0 && version == 0 {
            // Never initialised (new, or a first commit that did not finish).
            guard access == .write else { throw StateError(message: "\(db.path): no state yet (track or follow writes it)") }
            try initialise()
            return
        }
        guard app == StateSchema.applicationID else {
            throw StateError(message: "\(db.path): not a bouncetail state database (application id \(app)); not changed")
        }
        if (version == 2 || version == 3) && access == .write {
            // Written by an earlier version: the queue widened and the journal table added in place, in one
            // transaction.
            try db.transaction {
                if version == 2 { try db.execute(StateSchema.migrateFrom2) }
                try db.execute(StateSchema.migrateFrom3)
            }
        } else if version == 2 || version == 3 {
            // Readable as it is (the queue's actions and the journal table differ); the next writer migrates it.
        } else if version != StateSchema.version {
            throw StateError(message: "\(db.path): state version \(version), this bouncetail reads version \(StateSchema.version) (a newer bouncetail wrote it?); not changed")
        }
        if access == .write, case .regular = dir.entry(Self.version1Name) {
            // Imported before, but the old file was not yet set aside.
            try dir.rename(Self.version1Name, to: Self.version1Backup)
        }
        dataVersion = try db.integer("PRAGMA data_version") ?? 0
    }

    /// Creates the tables, importing a version 1 `state.jsonl` in the same transaction when there is one.
    private func initialise() throws {
        var imported: (TrackState, [SuppressionDelta], BounceLedger, InFlightMessages)?
        switch dir.entry(Self.version1Name) {
        case .other(let why): throw StateError(message: "\(dir.file(Self.version1Name)): \(why)")
        case .missing: break
        case .regular:
            let ledger = BounceLedger(policy: SuppressionPolicy())
            var inFlight = InFlightMessages()
            let (state, pending) = try StateFileV1.load(dir.file(Self.version1Name), into: ledger, inFlight: &inFlight)
            imported = (state, pending, ledger, inFlight)
        }
        try db.transaction {
            try db.execute(StateSchema.create)
            try db.execute("PRAGMA application_id = \(StateSchema.applicationID); PRAGMA user_version = \(StateSchema.version)")
            try setMeta("created", Int64(time(nil)))
            guard let (state, pending, ledger, inFlight) = imported else { return }
            try setMeta("last_seq", Int64(ledger.lastSeq))
            try setMeta("run", Int64(state.run))
            try writeInputs(state.inputs)
            try ledger.forEachRecipientInKeyOrder { key, r in try writeRecipient(key, r) }
            try ledger.forEachPairInKeyOrder { key, p in try writePair(key, p) }
            for m in inFlight.snapshot { try writeMessage(m.key, (m.pending, m.lastSeen)) }
            for d in pending { try writeDelta(d) }
        }
        if imported != nil {
            try dir.rename(Self.version1Name, to: Self.version1Backup)
            printError("bouncetail: \(dir.file(Self.version1Name)): imported into \(db.path); the old file is kept as \(Self.version1Backup)")
        } else {
            isNew = true
        }
    }

    // MARK: - Loading

    public func load(into ledger: BounceLedger, inFlight: inout InFlightMessages) throws -> TrackState {
        do {
            var state = TrackState()
            let lastSeq = try metaValue("last_seq") ?? 0
            let run = try metaValue("run") ?? 0
            guard lastSeq >= 0, run >= 0 else { throw corrupt("meta", "last_seq \(lastSeq) or run \(run) is negative") }
            ledger.restore(lastSeq: UInt64(lastSeq))
            state.run = Int(run)
            let inputs = try db.statement(
                "SELECT id, name, head_hash, head_length, offset, line, tail_hash, tail_length, run FROM inputs ORDER BY id")
            while try inputs.step() {
                let (offset, line, head, tail) = (inputs.int(4), inputs.int(5), inputs.int(3), inputs.int(7))
                guard offset >= 0, line >= 0, (0...Int64(InputRecord.maxHeadLength)).contains(head),
                    (0...Int64(InputRecord.maxTailLength)).contains(tail), tail <= offset
                else { throw corrupt("inputs", "row \(inputs.int(0)): offset \(offset), line \(line) or a length out of range") }
                state.inputs.append(InputRecord(
                    headHash: UInt64(bitPattern: inputs.int(2)), headLength: Int(head), offset: UInt64(offset),
                    line: Int(line), tailHash: UInt64(bitPattern: inputs.int(6)), tailLength: Int(tail),
                    name: inputs.string(1) ?? "", run: Int(inputs.int(8))))
            }
            let journals = try db.statement("SELECT key, cursor, realtime, run, entries FROM journals ORDER BY key")
            while try journals.step() {
                guard let key = journals.string(0), let cursor = journals.string(1), journals.int(2) >= 0,
                      journals.int(4) >= 0 else {
                    throw corrupt("journals", "a row without key or cursor, or a negative time or count")
                }
                state.journals.append(JournalPosition(
                    key: key, cursor: cursor, realtimeMicros: UInt64(journals.int(2)), run: Int(journals.int(3)),
                    entries: Int(journals.int(4))))
            }
            let pairs = try db.statement("SELECT host, queue_id, recipient, counted_hard, last_seen FROM pairs")
            while try pairs.step() {
                let key = pairs.array(0) + [0] + pairs.array(1) + [0] + pairs.array(2)
                ledger.restore(pairKey: key, .init(countedHard: pairs.int(3) != 0, lastSeen: pairs.int(4)))
            }
            let messages = try db.statement(
                """
                SELECT m.host, m.queue_id, m.last_seen, r.recipient, r.original, r.dsn FROM messages m
                LEFT JOIN message_recipients r ON r.host = m.host AND r.queue_id = m.queue_id
                ORDER BY m.host, m.queue_id, r.position
                """)
            var current: (key: [UInt8], lastSeen: Int64, pending: [InFlightMessages.Pending])?
            while try messages.step() {
                let key = messages.array(0) + [0] + messages.array(1)
                if current?.key != key {
                    if let c = current { inFlight.restore(key: c.key, pending: c.pending, lastSeen: c.lastSeen) }
                    current = (key, messages.int(2), [])
                }
                if !messages.isNull(3) {
                    current!.pending.append(.init(
                        recipient: messages.array(3), original: messages.isNull(4) ? nil : messages.array(4),
                        dsn: messages.string(5).flatMap(Self.dsn)))
                }
            }
            if let c = current { inFlight.restore(key: c.key, pending: c.pending, lastSeen: c.lastSeen) }
            return state
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    private func corrupt(_ table: String, _ why: String) -> StateError {
        StateError(message: "\(db.path): corrupt state (\(table): \(why)); not changed — repair it with sqlite3, restore a backup, or move the directory away to start afresh")
    }

    static func dsn(_ s: String) -> DSN? {
        Array(s.utf8).withUnsafeBufferPointer { DSN.parse($0, at: 0, end: $0.count)?.0 }
    }

    // MARK: - Recipients on demand (the ledger's backing)

    /// Runs a read the ledger asked for, which cannot throw on its hot path: the first failure is kept and
    /// thrown by the next commit (which then stores nothing), and `fallback` stands in meanwhile.
    private func reading<R>(_ fallback: R, _ body: () throws -> R) -> R {
        do {
            return try body()
        } catch let e as DatabaseError {
            readFailure = readFailure ?? Self.stateError(e)
        } catch let e as StateError {
            readFailure = readFailure ?? e
        } catch {}
        return fallback
    }

    public func storedAddressFilter() -> FingerprintSet {
        var hashes: [UInt64] = []
        reading(()) {
            let all = try db.statement("SELECT address FROM recipients")
            defer { all.reset() }
            while try all.step() {
                let b = all.bytes(0)
                hashes.append(ByteKey.hash(b, 0..<b.count))
            }
        }
        return FingerprintSet(hashes: hashes)
    }

    private static let recipientColumns =
        "address, hard, soft, first_bounce, last_bounce, soft_since, last_reason, suppressed, suppressed_at, until, suppress_reason, suppress_why"

    public func storedRecipient(_ key: [UInt8]) -> BounceLedger.Recipient? {
        reading(nil) {
            let s = try statement(.lookup, "SELECT \(Self.recipientColumns) FROM recipients WHERE address = ?")
            defer { s.reset() }
            s.bind(1, text: key)
            guard try s.step() else { return nil }
            return try decodeRecipient(s)
        }
    }

    public func earliestStoredExpiry(after: Int64?) -> Int64? {
        reading(nil) {
            let s = try db.statement("SELECT min(until_epoch) FROM recipients WHERE until_epoch > ?")
            defer { s.reset() }
            s.bind(1, after ?? Int64.min)
            guard try s.step(), !s.isNull(0) else { return nil }
            return s.int(0)
        }
    }

    public func storedExpiries(upTo seconds: Int64) -> [(key: [UInt8], record: BounceLedger.Recipient)] {
        var found: [(key: [UInt8], record: BounceLedger.Recipient)] = []
        reading(()) {
            let s = try db.statement("SELECT \(Self.recipientColumns) FROM recipients WHERE until_epoch <= ? ORDER BY until_epoch")
            defer { s.reset() }
            s.bind(1, seconds)
            while try s.step() { found.append((s.array(0), try decodeRecipient(s))) }
        }
        return found
    }

    public func checkReads() throws {
        if let readFailure { throw readFailure }
    }

    /// A row of `recipientColumns`, every value checked: a state edited by hand or damaged is named, never
    /// trusted into a crash.
    private func decodeRecipient(_ s: Statement) throws -> BounceLedger.Recipient {
        let address = String(decoding: s.bytes(0), as: UTF8.self)
        func bad(_ why: String) -> StateError { corrupt("recipients", "'\(address)': \(why)") }
        func counter(_ c: Int32, _ name: String) throws -> Int {
            guard s.isInteger(c), (0...Int64(BounceLedger.Recipient.maxCounter)).contains(s.int(c)) else {
                throw bad("\(name) \(s.string(c) ?? "NULL") is not a counter")
            }
            return Int(s.int(c))
        }
        func instant(_ c: Int32, _ name: String) throws -> Instant? {
            guard let text = s.string(c) else { return nil }
            guard let t = Instant(rfc3339: text) else { throw bad("\(name) '\(text)' is not an RFC 3339 time") }
            return t
        }
        var r = BounceLedger.Recipient()
        r.hard = try counter(1, "hard")
        r.soft = try counter(2, "soft")
        r.firstBounce = try instant(3, "first_bounce")
        r.lastBounce = try instant(4, "last_bounce")
        r.softSince = try instant(5, "soft_since")
        if let name = s.string(6) {
            guard let reason = BounceReason(name: name) else { throw bad("unknown reason '\(name)'") }
            r.lastReason = reason
        }
        guard s.isInteger(7), s.int(7) == 0 || s.int(7) == 1 else { throw bad("suppressed is not 0 or 1") }
        r.suppressed = s.int(7) == 1
        r.suppressedAt = try instant(8, "suppressed_at")
        r.until = try instant(9, "until")
        r.suppressReason = s.string(10)
        if let why = s.string(11) {
            guard let w = SuppressionDelta.Why(rawValue: why) else { throw bad("unknown suppress_why '\(why)'") }
            r.suppressWhy = w
        }
        return r
    }

    // MARK: - Committing

    public func commit(_ step: CommitStep, ledger: BounceLedger, inFlight: InFlightMessages) throws -> [SuppressionDelta] {
        try checkReads()
        do {
            try db.transaction {
                try setMeta("last_seq", Int64(step.lastSeq))
                try setMeta("run", Int64(step.state.run))
                if let seq = step.stdoutSeq { try setMeta("stdout_seq", Int64(seq)) }
                try writeInputs(step.state.inputs)
                try writeJournals(step.state.journals)
                try ledger.forEachChangedRecipient { key, r in
                    if let r { try writeRecipient(key, r) } else {
                        let s = try statement(.delete, "DELETE FROM recipients WHERE address = ?")
                        s.bind(1, text: key)
                        try s.run()
                    }
                }
                try ledger.forEachChangedPair { key, p in
                    if let p { try writePair(key, p) } else {
                        let s = try statement(.deletePair, "DELETE FROM pairs WHERE host = ? AND queue_id = ? AND recipient = ?")
                        Self.bindParts(s, key, 3)
                        try s.run()
                    }
                }
                try inFlight.forEachChangedMessage { key, m in try writeMessage(key, m) }
                for d in step.deltas { try writeDelta(d) }
                if step.forgetDeltasUpTo > 0 {
                    let s = try db.statement("DELETE FROM deltas WHERE seq <= ?")
                    s.bind(1, Int64(clamping: step.forgetDeltasUpTo))
                    try s.run()
                }
                for c in step.commandsDone {
                    let s = try db.statement("UPDATE commands SET done = 1, seq = ?, note = ? WHERE id = ?")
                    s.bind(1, c.seq.map { Int64($0) })
                    s.bind(2, c.note)
                    s.bind(3, c.id)
                    try s.run()
                }
                if let (path, record) = step.deltaFile { try writeDeltaFile(path, record) }
                FailPoint.reach("state-written")
            }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
        dataVersion = (try? db.integer("PRAGMA data_version")) ?? dataVersion
        return step.deltas
    }

    private func setMeta(_ name: String, _ value: Int64) throws {
        let s = try db.statement("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        s.bind(1, name)
        s.bind(2, value)
        try s.run()
    }

    /// One row per journal read: written whole.
    private func writeJournals(_ journals: [JournalPosition]) throws {
        try db.execute("DELETE FROM journals")
        let s = try db.statement("INSERT INTO journals (key, cursor, realtime, run, entries) VALUES (?, ?, ?, ?, ?)")
        for j in journals {
            s.bind(1, j.key)
            s.bind(2, j.cursor)
            s.bind(3, Int64(clamping: j.realtimeMicros))
            s.bind(4, j.run)
            s.bind(5, j.entries)
            try s.run()
        }
    }

    /// The inputs are a handful of rows: written whole.
    private func writeInputs(_ inputs: [InputRecord]) throws {
        try db.execute("DELETE FROM inputs")
        let s = try db.statement(
            "INSERT INTO inputs (id, name, head_hash, head_length, offset, line, tail_hash, tail_length, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for (i, r) in inputs.enumerated() {
            s.bind(1, i + 1)
            s.bind(2, r.name)
            s.bind(3, Int64(bitPattern: r.headHash))
            s.bind(4, r.headLength)
            s.bind(5, Int64(clamping: r.offset))
            s.bind(6, r.line)
            s.bind(7, Int64(bitPattern: r.tailHash))
            s.bind(8, r.tailLength)
            s.bind(9, r.run)
            try s.run()
        }
    }

    private func writeRecipient(_ key: UnsafeBufferPointer<UInt8>, _ r: BounceLedger.Recipient) throws {
        let s = try statement(.upsert, "INSERT OR REPLACE INTO recipients (\(Self.recipientColumns), until_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        s.bind(1, text: key)
        s.bind(2, r.hard)
        s.bind(3, r.soft)
        s.bind(4, r.firstBounce)
        s.bind(5, r.lastBounce)
        s.bind(6, r.softSince)
        s.bind(7, r.lastReason?.name)
        s.bind(8, r.suppressed)
        s.bind(9, r.suppressedAt)
        s.bind(10, r.until)
        s.bind(11, r.suppressReason)
        s.bind(12, r.suppressWhy?.rawValue)
        s.bind(13, r.suppressed ? r.until?.seconds : nil)
        try s.run()
    }

    private func writePair(_ key: UnsafeBufferPointer<UInt8>, _ p: BounceLedger.Pair) throws {
        let s = try statement(
            .upsertPair, "INSERT OR REPLACE INTO pairs (host, queue_id, recipient, counted_hard, last_seen) VALUES (?, ?, ?, ?, ?)")
        Self.bindParts(s, key, 3)
        s.bind(4, p.countedHard)
        s.bind(5, p.lastSeen)
        try s.run()
    }

    private func writeMessage(_ key: [UInt8], _ m: (pending: [InFlightMessages.Pending], lastSeen: Int64)?) throws {
        let parts = Self.split(key, 2)
        for sql in ["DELETE FROM messages WHERE host = ? AND queue_id = ?", "DELETE FROM message_recipients WHERE host = ? AND queue_id = ?"] {
            let s = try db.statement(sql)
            s.bind(1, text: parts[0])
            s.bind(2, text: parts[1])
            try s.run()
        }
        guard let m else { return }
        let message = try db.statement("INSERT INTO messages (host, queue_id, last_seen) VALUES (?, ?, ?)")
        message.bind(1, text: parts[0])
        message.bind(2, text: parts[1])
        message.bind(3, m.lastSeen)
        try message.run()
        let r = try db.statement(
            "INSERT INTO message_recipients (host, queue_id, position, recipient, original, dsn) VALUES (?, ?, ?, ?, ?, ?)")
        for (i, p) in m.pending.enumerated() {
            r.bind(1, text: parts[0])
            r.bind(2, text: parts[1])
            r.bind(3, i)
            r.bind(4, text: p.recipient)
            if let o = p.original { r.bind(5, text: o) } else { r.bindNull(5) }
            r.bind(6, p.dsn?.description)
            try r.run()
        }
    }

    private func writeDelta(_ d: SuppressionDelta) throws {
        var j = JSONBuffer(capacity: 512)
        d.append(to: &j)
        let s = try statement(.delta, "INSERT OR REPLACE INTO deltas (seq, time, action, recipient, json) VALUES (?, ?, ?, ?, ?)")
        s.bind(1, Int64(d.seq))
        s.bind(2, d.time)
        s.bind(3, d.action.rawValue)
        s.bind(4, text: d.recipient)
        s.bind(5, text: j.bytes)
        try s.run()
    }

    private func writeDeltaFile(_ path: String, _ r: DeltaFileRecord) throws {
        let s = try db.statement("INSERT OR REPLACE INTO delta_files (path, device, inode, written_seq) VALUES (?, ?, ?, ?)")
        s.bind(1, path)
        s.bind(2, Int64(bitPattern: r.device))
        s.bind(3, Int64(bitPattern: r.inode))
        s.bind(4, Int64(r.writtenSeq))
        try s.run()
    }

    /// A key's NUL-separated parts (exactly `n`; missing ones empty).
    /// Binds the `n` NUL-separated parts of `key` to parameters 1...n (missing parts as empty text), in place.
    static func bindParts(_ s: Statement, _ key: UnsafeBufferPointer<UInt8>, _ n: Int) {
        var start = 0
        for i in 1...n {
            var end = start
            while end < key.count, key[end] != 0 || i == n { end += 1 }
            s.bind(Int32(i), text: UnsafeBufferPointer(rebasing: key[min(start, key.count)..<max(min(start, key.count), end)]))
            start = end + 1
        }
    }

    static func split(_ key: [UInt8], _ n: Int) -> [[UInt8]] {
        var parts = key.split(separator: 0, maxSplits: n - 1, omittingEmptySubsequences: false).map(Array.init)
        while parts.count < n { parts.append([]) }
        return parts
    }

    /// Copies a large WAL into the database before the writer exits, so the next process does not read it
    /// all back in; a small one is left for a later commit's automatic checkpoint.
    public func checkpointIfLarge() {
        var st = stat()
        guard stat(db.path + "-wal", &st) == 0, st.st_size > 16 << 20 else { return }
        try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    // MARK: - Deltas and their files

    public func forEachDelta(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        do {
            let s = try db.statement("SELECT seq, json FROM deltas WHERE seq > ? ORDER BY seq")
            defer { s.reset() }
            s.bind(1, Int64(clamping: seq))
            while try s.step() {
                guard s.int(0) > 0 else { throw corrupt("deltas", "seq \(s.int(0))") }
                try body(UInt64(s.int(0)), s.bytes(1))
            }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    public func oldestKeptSeq() throws -> UInt64? {
        do {
            return try db.integer("SELECT min(seq) FROM deltas").map { UInt64(max(0, $0)) }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    public func deltaFileRecord(_ path: String) throws -> DeltaFileRecord? {
        do {
            let s = try db.statement("SELECT device, inode, written_seq FROM delta_files WHERE path = ?")
            defer { s.reset() }
            s.bind(1, path)
            guard try s.step() else { return nil }
            guard s.int(2) >= 0 else { throw corrupt("delta_files", "'\(path)': written_seq \(s.int(2))") }
            return DeltaFileRecord(device: UInt64(bitPattern: s.int(0)), inode: UInt64(bitPattern: s.int(1)),
                                   writtenSeq: UInt64(s.int(2)))
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    public func recordDeltaFile(_ path: String, _ record: DeltaFileRecord) throws {
        do {
            try db.transaction { try writeDeltaFile(path, record) }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
        dataVersion = (try? db.integer("PRAGMA data_version")) ?? dataVersion
    }

    public func metaValue(_ name: String) throws -> Int64? {
        do {
            let s = try db.statement("SELECT value FROM meta WHERE name = ?")
            defer { s.reset() }
            s.bind(1, name)
            guard try s.step() else { return nil }
            guard s.isInteger(0) else { throw corrupt("meta", "\(name) is not a number") }
            return s.int(0)
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    // MARK: - Queued commands

    public func queuedCommands() throws -> [QueuedCommand] {
        do {
            var found: [QueuedCommand] = []
            let s = try db.statement("SELECT id, action, address, reason, time FROM commands WHERE done = 0 ORDER BY id")
            defer { s.reset() }
            while try s.step() {
                guard let action = s.string(1).flatMap(QueuedCommand.Action.init(rawValue:)) else {
                    throw corrupt("commands", "row \(s.int(0)): unknown action")
                }
                found.append(QueuedCommand(id: s.int(0), action: action, address: s.string(2) ?? "", reason: s.string(3),
                                           time: Instant(seconds: s.int(4))))
            }
            return found
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    public func othersMayHaveWritten() -> Bool {
        guard let now = try? db.integer("PRAGMA data_version") else { return true }
        defer { dataVersion = now }
        return now != dataVersion
    }

    public func enqueue(_ commands: [(QueuedCommand.Action, String, String?)], at time: Instant) throws -> [Int64] {
        try enqueue(commands.map { ($0.0, $0.1, $0.2, time) })
    }

    /// Queues commands, each at its own time (recorded activity carries the time it happened).
    public func enqueue(_ commands: [(QueuedCommand.Action, String, String?, Instant)]) throws -> [Int64] {
        do {
            return try db.transaction {
                var ids: [Int64] = []
                let s = try db.statement("INSERT INTO commands (action, address, reason, time) VALUES (?, ?, ?, ?)")
                for (action, address, reason, time) in commands {
                    s.bind(1, action.rawValue)
                    s.bind(2, address)
                    s.bind(3, reason)
                    s.bind(4, time.seconds)
                    try s.run()
                    ids.append(sqlite3_last_insert_rowid(db.handle))
                }
                return ids
            }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    public func appliedCommands(_ ids: [Int64]) throws -> [Int64: (seq: UInt64?, note: String?)] {
        do {
            var done: [Int64: (seq: UInt64?, note: String?)] = [:]
            let s = try db.statement("SELECT seq, note FROM commands WHERE id = ? AND done = 1")
            for id in ids {
                s.bind(1, id)
                if try s.step() { done[id] = (s.isNull(0) ? nil : UInt64(max(0, s.int(0))), s.string(1)) }
                s.reset()
            }
            return done
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    // MARK: - Readers

    public func forEachSuppressed(_ body: ([UInt8], BounceLedger.Recipient) throws -> Void) throws {
        do {
            let s = try db.statement("SELECT \(Self.recipientColumns) FROM recipients INDEXED BY recipients_suppressed WHERE suppressed = 1 ORDER BY address")
            defer { s.reset() }
            while try s.step() { try body(s.array(0), try decodeRecipient(s)) }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    // MARK: - For the policy service

    /// The suppressed addresses, their reason and whether the suppression is soft (why = soft).
    public func forEachSuppressedReasonAndWhy(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Bool) throws -> Void) throws {
        do {
            let s = try db.statement("SELECT address, COALESCE(suppress_reason, last_reason, 'manual'), suppress_why = 'soft' FROM recipients INDEXED BY recipients_suppressed WHERE suppressed = 1")
            defer { s.reset() }
            while try s.step() { try body(s.bytes(0), s.bytes(1), s.int(2) == 1) }
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    /// The addresses the deltas after `seq` changed, with their seq, oldest first; nil when deltas after `seq`
    /// are no longer all kept (the caller reloads the whole list).
    public func changedAddresses(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        do {
            if seq > 0 {
                let oldest = try db.integer("SELECT MIN(seq) FROM deltas") ?? 0
                let last = try metaValue("last_seq") ?? 0
                if last > Int64(clamping: seq), oldest > Int64(clamping: seq) + 1 { return false }
            }
            let s = try db.statement("SELECT seq, recipient FROM deltas WHERE seq > ? ORDER BY seq")
            defer { s.reset() }
            s.bind(1, Int64(clamping: seq))
            while try s.step() { try body(UInt64(max(0, s.int(0))), s.bytes(1)) }
            return true
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    /// Whether `address` (lower-cased) is suppressed now: its reason and whether it is soft.
    public func suppressionReasonAndWhy(_ address: UnsafeBufferPointer<UInt8>) throws -> ([UInt8], Bool)? {
        do {
            let s = try db.statement("SELECT COALESCE(suppress_reason, last_reason, 'manual'), suppress_why = 'soft' FROM recipients WHERE address = ? AND suppressed = 1")
            defer { s.reset() }
            s.bind(1, text: address)
            return try s.step() ? (s.array(0), s.int(1) == 1) : nil
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
    }

    /// The last seq committed.
    public func lastSeq() throws -> UInt64 {
        do { return UInt64(max(0, try metaValue("last_seq") ?? 0)) } catch let e as DatabaseError { throw Self.stateError(e) }
    }

    /// What `report --state` shows: the list by why and reason, the addresses with counters running, the
    /// deltas kept and the commands still queued.
    public struct Summary {
        public var suppressed: [(why: String, reason: String, count: Int)] = []
        public var counting = (recipients: 0, hard: 0, soft: 0)
        public var lastSeq: UInt64 = 0
        public var deltasKept = 0
        public var commandsQueued = 0
        public var timedEnds = 0
        /// Suppressions lifted by recorded activity, among the deltas kept; activity commands applied.
        public var liftedByActivity = 0
        public var activityApplied = 0
    }

    public func summary() throws -> Summary {
        var out = Summary()
        do {
            let s = try db.statement("SELECT COALESCE(suppress_why, 'manual'), COALESCE(suppress_reason, last_reason, ''), COUNT(*) FROM recipients WHERE suppressed = 1 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2")
            defer { s.reset() }
            while try s.step() { out.suppressed.append((s.string(0) ?? "", s.string(1) ?? "", Int(s.int(2)))) }
            let c = try db.statement("SELECT COUNT(*), COALESCE(SUM(hard > 0), 0), COALESCE(SUM(soft > 0), 0) FROM recipients WHERE suppressed = 0 AND (hard > 0 OR soft > 0)")
            defer { c.reset() }
            if try c.step() { out.counting = (Int(c.int(0)), Int(c.int(1)), Int(c.int(2))) }
            out.lastSeq = UInt64(max(0, try metaValue("last_seq") ?? 0))
            out.deltasKept = Int(try db.integer("SELECT COUNT(*) FROM deltas") ?? 0)
            out.commandsQueued = Int(try db.integer("SELECT COUNT(*) FROM commands WHERE done = 0") ?? 0)
            out.timedEnds = Int(try db.integer("SELECT COUNT(*) FROM recipients WHERE suppressed = 1 AND until_epoch IS NOT NULL") ?? 0)
            out.liftedByActivity = Int(try db.integer("SELECT COUNT(*) FROM deltas WHERE json LIKE '%\"why\":\"activity\"%'") ?? 0)
            out.activityApplied = Int(try db.integer("SELECT COUNT(*) FROM commands WHERE action = 'activity' AND done = 1") ?? 0)
        } catch let e as DatabaseError {
            throw Self.stateError(e)
        }
        return out
    }

    public func check() throws -> [String] {
        var problems: [String] = []
        do {
            let s = try db.statement("PRAGMA integrity_check")
            while try s.step() {
                let line = s.string(0) ?? ""
                if line != "ok" { problems.append("\(db.path): corrupt: \(line)") }
            }
            s.reset()
            guard problems.isEmpty else { return problems }
            let all = try db.statement("SELECT \(Self.recipientColumns) FROM recipients")
            while try all.step() {
                do { _ = try decodeRecipient(all) } catch let e as StateError { problems.append(e.message) }
            }
            all.reset()
            // Positions, pairs and messages as a writer would load them (into scratch tables).
            var scratch = InFlightMessages()
            do { _ = try load(into: BounceLedger(policy: SuppressionPolicy()), inFlight: &scratch) } catch let e as StateError {
                problems.append(e.message)
            }
        } catch let e as DatabaseError {
            problems.append(Self.stateError(e).message)
        }
        return problems
    }
}

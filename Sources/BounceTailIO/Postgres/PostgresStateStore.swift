#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// The state in PostgreSQL, shared by many hosts (schema in `PostgresSchema`, docs/STATE.md).
///
/// Each host keeps its own read positions, message pairs and in-flight messages (rows keyed by its name), and
/// commits them in one transaction with its changes to the fleet's recipients and its deltas. The ledger runs
/// in fleet mode: it hands points, not records, and a commit merges them into each address's `FleetTimeline`
/// under the row's lock (rows locked in address order, so hosts committing at once never deadlock), so that
/// the commit order of hosts does not change the result. One fleet-wide seq numbers the deltas.
public final class PostgresStateStore: StateStore, SuppressionListSource {
    public enum Access { case write, read, byHand }

    public let location: String
    /// This host's name in the shared state.
    public let host: String
    public private(set) var isNew = false
    private let db: PostgresConnection
    private let access: Access
    private var policy = SuppressionPolicy()
    /// How far behind the fleet's newest log time a host may commit and still have its outcomes placed
    /// exactly; deliveries are remembered that long.
    public var reorderWindowSeconds: Int64 = 86400

    public init(_ conninfo: String, host: String, access: Access) throws {
        location = PostgresState.redacted(conninfo)
        self.host = host
        self.access = access
        db = try PostgresConnection(conninfo)
        if access != .read {
            _ = try PostgresSchema.migrate(db)
            if access == .write { try lockHost() }
            isNew = try access == .write && db.query("SELECT 1 FROM bouncetail.hosts WHERE host = $1", [host]).isEmpty
        } else {
            let exists = try db.query("SELECT to_regclass('bouncetail.meta') IS NOT NULL", []).first?.first == "t"
            let found = exists ? try db.query("SELECT value FROM bouncetail.meta WHERE name = 'schema_version'", []) : []
            guard let row = found.first, let v = row[0].flatMap({ Int64($0) }) else {
                throw StateError(message: "\(location): no bouncetail state in this database yet (track, follow or `bouncetail migrate --state` creates it)")
            }
            guard v == PostgresSchema.version else {
                throw StateError(message: "\(location): schema version \(v), this bouncetail reads version \(PostgresSchema.version); run `bouncetail migrate --state` with the newer of the two")
            }
        }
    }

    /// One writer per host name: a session lock, released by PostgreSQL when the process or its connection dies.
    private func lockHost() throws {
        let got = try db.query("SELECT pg_try_advisory_lock($1, hashtext($2))", [String(PostgresSchema.migrationLock >> 16), host])
        guard got.first?.first == "t" else {
            throw StateError(message: "\(location): host \(host) is already tracking into this state (another bouncetail holds its lock); give each host its own --host-name", inUse: true)
        }
    }

    /// Runs a transaction, again when PostgreSQL asks for it (a deadlock) or the connection was lost (the
    /// server restarted): then it waits for the server, up to two minutes, and takes the host's lock again.
    private func transaction<T>(_ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(120)
        var attempt = 0
        while true {
            do {
                return try db.transaction(body)
            } catch let e as StateError where e.retryable && Date() < deadline {
                attempt += 1
                if db.isBroken {
                    printError("bouncetail: \(location): connection lost (\(e.message)); connecting again")
                    while !db.reconnect() {
                        guard Date() < deadline else { throw e }
                        usleep(500_000)
                    }
                    if access == .write { try lockHost() }
                } else {
                    usleep(UInt32(min(attempt, 20)) * 10_000)
                }
            }
        }
    }

    // MARK: - Loading

    public func load(into ledger: BounceLedger, inFlight: inout InFlightMessages) throws -> TrackState {
        policy = ledger.policy
        ledger.fleet = FleetPoints()
        var state = TrackState()
        ledger.restore(lastSeq: try lastSeq())
        guard access == .write else { return state }
        state.run = Int(try db.query("SELECT run FROM bouncetail.hosts WHERE host = $1", [host]).first?.first??.int ?? 0)
        for r in try db.query(
            "SELECT name, head_hash, head_length, \"offset\", line, tail_hash, tail_length, run FROM bouncetail.inputs WHERE host = $1 ORDER BY position", [host])
        {
            guard let head = r[2]?.int, let offset = r[3]?.int, let line = r[4]?.int, let tail = r[6]?.int,
                  offset >= 0, line >= 0, (0...Int64(InputRecord.maxHeadLength)).contains(head),
                  (0...Int64(InputRecord.maxTailLength)).contains(tail), tail <= offset
            else { throw corrupt("inputs", "\(r[0] ?? ""): a position or length out of range") }
            state.inputs.append(InputRecord(
                headHash: UInt64(bitPattern: r[1]?.int ?? 0), headLength: Int(head), offset: UInt64(offset), line: Int(line),
                tailHash: UInt64(bitPattern: r[5]?.int ?? 0), tailLength: Int(tail), name: r[0] ?? "", run: Int(r[7]?.int ?? 0)))
        }
        for r in try db.query("SELECT key, cursor, realtime, run, entries FROM bouncetail.journals WHERE host = $1 ORDER BY key", [host]) {
            guard let key = r[0], let cursor = r[1], let t = r[2]?.int, t >= 0, let n = r[4]?.int, n >= 0 else {
                throw corrupt("journals", "a row without key or cursor, or a negative time or count")
            }
            state.journals.append(JournalPosition(key: key, cursor: cursor, realtimeMicros: UInt64(t), run: Int(r[3]?.int ?? 0), entries: Int(n)))
        }
        for r in try db.query("SELECT host, queue_id, recipient, counted_hard, last_seen FROM bouncetail.pairs WHERE tracker = $1", [host]) {
            let key = Array((r[0] ?? "").utf8) + [0] + Array((r[1] ?? "").utf8) + [0] + Array((r[2] ?? "").utf8)
            ledger.restore(pairKey: key, .init(countedHard: r[3] == "t", lastSeen: r[4]?.int ?? 0))
        }
        let messages = try db.query(
            """
            SELECT m.host, m.queue_id, m.last_seen, r.recipient, r.original, r.dsn FROM bouncetail.messages m
            LEFT JOIN bouncetail.message_recipients r ON r.tracker = m.tracker AND r.host = m.host AND r.queue_id = m.queue_id
            WHERE m.tracker = $1 ORDER BY m.host, m.queue_id, r.position
            """, [host])
        var current: (key: [UInt8], lastSeen: Int64, pending: [InFlightMessages.Pending])?
        for r in messages {
            let key = Array((r[0] ?? "").utf8) + [0] + Array((r[1] ?? "").utf8)
            if current?.key != key {
                if let c = current { inFlight.restore(key: c.key, pending: c.pending, lastSeen: c.lastSeen) }
                current = (key, r[2]?.int ?? 0, [])
            }
            if let recipient = r[3] {
                current!.pending.append(.init(recipient: Array(recipient.utf8), original: r[4].map { Array($0.utf8) },
                                              dsn: r[5].flatMap(SQLiteStateStore.dsn)))
            }
        }
        if let c = current { inFlight.restore(key: c.key, pending: c.pending, lastSeen: c.lastSeen) }
        return state
    }

    private func corrupt(_ table: String, _ why: String) -> StateError {
        StateError(message: "\(location): corrupt state (bouncetail.\(table): \(why)); not changed — repair the row with psql, or restore a backup")
    }

    // MARK: - The ledger's backing: in fleet mode it keeps no recipients of its own

    public func storedAddressFilter() -> FingerprintSet { FingerprintSet(hashes: []) }
    public func storedRecipient(_ key: [UInt8]) -> BounceLedger.Recipient? { nil }
    public func earliestStoredExpiry(after: Int64?) -> Int64? { nil }
    public func storedExpiries(upTo seconds: Int64) -> [(key: [UInt8], record: BounceLedger.Recipient)] { [] }
    public func checkReads() throws {}

    // MARK: - Committing

    public func commit(_ step: CommitStep, ledger: BounceLedger, inFlight: InFlightMessages) throws -> [SuppressionDelta] {
        let fleet = ledger.fleet ?? FleetPoints()
        let groups = fleet.byAddress().compactMap { key, points -> (String, [UInt8], [FleetTimeline.Point])? in
            // PostgreSQL's text holds no NUL; such an address (garbage in a log) is not tracked here.
            key.contains(0) ? nil : (String(decoding: key, as: UTF8.self), key, points)
        }
        var lockedAt = Date()
        let made = try transaction { () -> [SuppressionDelta] in
            lockedAt = Date()
            if access == .write { try writeHost(step, ledger: ledger, inFlight: inFlight, newest: fleet.newest) }
            var deltas = try merge(groups, newest: fleet.newest)
            if !deltas.isEmpty {
                let last = try db.query("UPDATE bouncetail.meta SET value = value + $1 WHERE name = 'last_seq' RETURNING value",
                                        [String(deltas.count)]).first?.first??.int ?? 0
                let first = UInt64(last) - UInt64(deltas.count) + 1
                for i in deltas.indices { deltas[i].seq = first + UInt64(i) }
                try insertDeltas(deltas)
            }
            if step.forgetDeltasUpTo > 0 {
                try db.query("DELETE FROM bouncetail.deltas WHERE host = $1 AND seq <= $2", [host, String(step.forgetDeltasUpTo)])
            }
            FailPoint.reach("state-written")
            return deltas
        }
        let held = Date().timeIntervalSince(lockedAt)
        stats.commits += 1
        stats.rows += groups.count
        stats.heldSeconds += held
        stats.longestHeld = max(stats.longestHeld, held)
        fleet.clear()
        if let last = made.last { ledger.restore(lastSeq: last.seq) }
        return made
    }

    /// Commits so far, the recipient rows they merged, and how long their transactions held row locks (from
    /// the first row written to the commit), for `follow --verbose` and Benchmarks/fleet-scale.sh.
    private var stats = (commits: 0, rows: 0, heldSeconds: 0.0, longestHeld: 0.0)

    public var commitSummary: String? {
        guard stats.commits > 0 else { return nil }
        return String(format: "%d commits, %.0f recipient rows a commit, locks held %.1f ms a commit (longest %.1f ms)",
                      stats.commits, Double(stats.rows) / Double(stats.commits), stats.heldSeconds * 1000 / Double(stats.commits),
                      stats.longestHeld * 1000)
    }

    /// This host's rows: its run, positions, message pairs, in-flight messages and deltas file.
    private func writeHost(_ step: CommitStep, ledger: BounceLedger, inFlight: InFlightMessages, newest: Instant?) throws {
        try db.query(
            """
            INSERT INTO bouncetail.hosts (host, run, stdout_seq, newest, last_commit) VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (host) DO UPDATE SET run = excluded.run, stdout_seq = COALESCE(excluded.stdout_seq, hosts.stdout_seq),
                newest = GREATEST(hosts.newest, excluded.newest), last_commit = now()
            """, [host, String(step.state.run), step.stdoutSeq.map { String($0) }, String(newest.map(Self.micros) ?? 0)])
        try db.query("DELETE FROM bouncetail.inputs WHERE host = $1", [host])
        for (i, r) in step.state.inputs.enumerated() {
            try db.query(
                "INSERT INTO bouncetail.inputs (host, position, name, head_hash, head_length, \"offset\", line, tail_hash, tail_length, run) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                [host, String(i), r.name, String(Int64(bitPattern: r.headHash)), String(r.headLength), String(r.offset), String(r.line),
                 String(Int64(bitPattern: r.tailHash)), String(r.tailLength), String(r.run)])
        }
        try db.query("DELETE FROM bouncetail.journals WHERE host = $1", [host])
        for j in step.state.journals {
            try db.query("INSERT INTO bouncetail.journals (host, key, cursor, realtime, run, entries) VALUES ($1, $2, $3, $4, $5, $6)",
                         [host, j.key, j.cursor, String(Int64(clamping: j.realtimeMicros)), String(j.run), String(j.entries)])
        }
        var gone: [[String?]] = [[], [], []]
        var kept: [[String?]] = [[], [], [], [], []]
        ledger.forEachChangedPair { key, p in
            let parts = SQLiteStateStore.split(Array(key), 3).map { String(decoding: $0, as: UTF8.self) }
            for i in 0..<3 { gone[i].append(parts[i]) }
            if let p {
                for i in 0..<3 { kept[i].append(parts[i]) }
                kept[3].append(p.countedHard ? "t" : "f")
                kept[4].append(String(p.lastSeen))
            }
        }
        if !gone[0].isEmpty {
            try db.query(
                "DELETE FROM bouncetail.pairs p USING unnest($2::text[], $3::text[], $4::text[]) AS g(h, q, r) WHERE p.tracker = $1 AND p.host = g.h AND p.queue_id = g.q AND p.recipient = g.r",
                [host] + gone.map(PostgresConnection.array))
        }
        if !kept[0].isEmpty {
            try db.query(
                "INSERT INTO bouncetail.pairs (tracker, host, queue_id, recipient, counted_hard, last_seen) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::bigint[]) ON CONFLICT DO NOTHING",
                [host] + kept.map(PostgresConnection.array))
        }
        var messagesGone: [[String?]] = [[], []]
        var messages: [[String?]] = [[], [], []]
        var recipients: [[String?]] = [[], [], [], [], [], []]
        inFlight.forEachChangedMessage { key, m in
            let parts = SQLiteStateStore.split(key, 2).map { String(decoding: $0, as: UTF8.self) }
            messagesGone[0].append(parts[0])
            messagesGone[1].append(parts[1])
            guard let m else { return }
            messages[0].append(parts[0])
            messages[1].append(parts[1])
            messages[2].append(String(m.lastSeen))
            for (i, p) in m.pending.enumerated() {
                recipients[0].append(parts[0])
                recipients[1].append(parts[1])
                recipients[2].append(String(i))
                recipients[3].append(String(decoding: p.recipient, as: UTF8.self))
                recipients[4].append(p.original.map { String(decoding: $0, as: UTF8.self) })
                recipients[5].append(p.dsn?.description)
            }
        }
        if !messagesGone[0].isEmpty {
            for table in ["messages", "message_recipients"] {
                try db.query(
                    "DELETE FROM bouncetail.\(table) m USING unnest($2::text[], $3::text[]) AS g(h, q) WHERE m.tracker = $1 AND m.host = g.h AND m.queue_id = g.q",
                    [host] + messagesGone.map(PostgresConnection.array))
            }
            try db.query("INSERT INTO bouncetail.messages (tracker, host, queue_id, last_seen) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])",
                         [host] + messages.map(PostgresConnection.array))
            try db.query(
                "INSERT INTO bouncetail.message_recipients (tracker, host, queue_id, position, recipient, original, dsn) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])",
                [host] + recipients.map(PostgresConnection.array))
        }
        if let (path, r) = step.deltaFile { try writeDeltaFile(path, r) }
    }

    /// Merges this commit's points into the fleet's records, under their rows' locks; the deltas, unnumbered.
    private func merge(_ groups: [(address: String, key: [UInt8], points: [FleetTimeline.Point])], newest: Instant?) throws
        -> [SuppressionDelta]
    {
        let fleetNewest = try db.query("SELECT max(newest) FROM bouncetail.hosts", []).first?.first??.int
        var now = newest
        if let n = fleetNewest, n > 0, now.map({ Self.micros($0) < n }) ?? true { now = Self.instant(micros: n) }
        let keepAfter = now.map { Instant(seconds: $0.seconds - reorderWindowSeconds) }
        var timelines: [String: FleetTimeline] = [:]
        if !groups.isEmpty {
            // New rows made and existing ones locked in one statement, in address order.
            let rows = try db.query(
                """
                INSERT INTO bouncetail.recipients AS r (address, hard, soft, suppressed, timeline)
                SELECT a, 0, 0, false, '' FROM unnest($1::text[]) AS a ORDER BY a COLLATE "C"
                ON CONFLICT (address) DO UPDATE SET address = r.address RETURNING address, timeline
                """, [PostgresConnection.array(groups.map(\.address))])
            for r in rows { timelines[r[0] ?? ""] = try timeline(r[0] ?? "", r[1] ?? "") }
        }
        var deltas: [SuppressionDelta] = []
        var changed: [(String, FleetTimeline)] = []
        for g in groups {
            var t = timelines[g.address] ?? FleetTimeline()
            deltas += t.merge(g.points, key: g.key, policy: policy, now: now, keepAfter: keepAfter)
            changed.append((g.address, t))
        }
        // Timed suppressions whose end the fleet's log time has passed (rows another commit holds are its to lift).
        if let now {
            let ending = try db.query(
                "SELECT address, timeline FROM bouncetail.recipients WHERE suppressed AND until <= $1 ORDER BY address COLLATE \"C\" FOR UPDATE SKIP LOCKED",
                [now.rfc3339])
            for r in ending where timelines[r[0] ?? ""] == nil {
                let address = r[0] ?? ""
                var t = try timeline(address, r[1] ?? "")
                deltas += t.merge([], key: Array(address.utf8), policy: policy, now: now, keepAfter: keepAfter)
                changed.append((address, t))
            }
        }
        try write(changed, keepAfter: keepAfter)
        if let keepAfter {
            // Deliveries remembered longer than the window, with nothing else on their row.
            try db.query(
                """
                DELETE FROM bouncetail.recipients WHERE address IN (SELECT address FROM bouncetail.recipients
                WHERE hard = 0 AND soft = 0 AND NOT suppressed AND last_delivered < $1 AND timeline LIKE $2 LIMIT 10000 FOR UPDATE SKIP LOCKED)
                """, [keepAfter.rfc3339, Self.barePattern])
        }
        return deltas
    }

    /// A timeline with nothing but a delivery's time, as LIKE matches it.
    static let barePattern: String = {
        var t = FleetTimeline()
        t.baseTime = Instant(seconds: 0)
        t.baseIsDelivery = true
        return t.text.replacingOccurrences(of: Instant(seconds: 0).rfc3339, with: "%")
    }()

    private func timeline(_ address: String, _ text: String) throws -> FleetTimeline {
        if text.isEmpty { return FleetTimeline() }
        guard let t = FleetTimeline(text: text) else { throw corrupt("recipients", "'\(address)': timeline is not one bouncetail wrote") }
        return t
    }

    private func write(_ changed: [(String, FleetTimeline)], keepAfter: Instant?) throws {
        var drop: [String?] = []
        var cols: [[String?]] = Array(repeating: [], count: 13)
        for (address, t) in changed {
            // Nothing left, or only a delivery older than the window: no row.
            if t.isBare && (!t.baseIsDelivery || keepAfter.map { t.baseTime! < $0 } ?? false) {
                drop.append(address)
                continue
            }
            let r = t.record
            let values: [String?] = [
                address, String(r.hard), String(r.soft), r.firstBounce?.rfc3339, r.lastBounce?.rfc3339,
                t.baseIsDelivery ? t.baseTime?.rfc3339 : nil, r.lastReason?.name, r.suppressed ? "t" : "f",
                r.suppressedAt?.rfc3339, r.suppressed ? r.until?.rfc3339 : nil, r.suppressReason, r.suppressWhy?.rawValue, t.text,
            ]
            for i in values.indices { cols[i].append(values[i]) }
        }
        if !drop.isEmpty {
            try db.query("DELETE FROM bouncetail.recipients WHERE address = ANY($1::text[])", [PostgresConnection.array(drop)])
        }
        guard !cols[0].isEmpty else { return }
        try db.query(
            """
            UPDATE bouncetail.recipients AS r SET hard = v.hard, soft = v.soft, first_bounce = v.first_bounce,
                last_bounce = v.last_bounce, last_delivered = v.last_delivered, last_reason = v.last_reason,
                suppressed = v.suppressed, suppressed_at = v.suppressed_at, until = v.until,
                suppress_reason = v.suppress_reason, suppress_why = v.suppress_why, timeline = v.timeline
            FROM unnest($1::text[], $2::int[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::text[],
                        $8::boolean[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])
                AS v(address, hard, soft, first_bounce, last_bounce, last_delivered, last_reason, suppressed, suppressed_at,
                     until, suppress_reason, suppress_why, timeline)
            WHERE r.address = v.address
            """, cols.map(PostgresConnection.array))
    }

    private func insertDeltas(_ deltas: [SuppressionDelta]) throws {
        var cols: [[String?]] = Array(repeating: [], count: 5)
        for d in deltas {
            var j = JSONBuffer(capacity: 512)
            d.append(to: &j)
            let values: [String?] = [String(d.seq), d.time.rfc3339, d.action.rawValue, String(decoding: d.recipient, as: UTF8.self),
                                     String(decoding: j.bytes, as: UTF8.self)]
            for i in values.indices { cols[i].append(values[i]) }
        }
        try db.query(
            "INSERT INTO bouncetail.deltas (seq, time, action, recipient, host, json) SELECT s, t, a, r, $6, j FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[]) AS v(s, t, a, r, j)",
            cols.map(PostgresConnection.array) + [host])
    }

    private func writeDeltaFile(_ path: String, _ r: DeltaFileRecord) throws {
        try db.query(
            """
            INSERT INTO bouncetail.delta_files (host, path, device, inode, written_seq) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (host, path) DO UPDATE SET device = excluded.device, inode = excluded.inode, written_seq = excluded.written_seq
            """, [host, path, String(Int64(bitPattern: r.device)), String(Int64(bitPattern: r.inode)), String(r.writtenSeq)])
    }

    static func micros(_ t: Instant) -> Int64 { t.seconds &* 1_000_000 &+ Int64(t.nanoseconds / 1000) }
    static func instant(micros: Int64) -> Instant {
        let s = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        return Instant(seconds: s, nanoseconds: Int32((micros - s * 1_000_000) * 1000), fractionDigits: 6)
    }

    // MARK: - Deltas and their files (this host's)

    /// A writer's deltas are its own (its deltas file and stdout get what its commits made); a reader's
    /// (`deltas`, `report --state`) are the fleet's.
    private var deltasOfHost: String { access == .read ? "$1::text IS NOT NULL" : "host = $1" }

    public func forEachDelta(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        for r in try db.query("SELECT seq, json FROM bouncetail.deltas WHERE \(deltasOfHost) AND seq > $2 ORDER BY seq", [host, String(seq)]) {
            guard let s = r[0]?.int, s > 0 else { throw corrupt("deltas", "seq \(r[0] ?? "NULL")") }
            try Array((r[1] ?? "").utf8).withUnsafeBufferPointer { try body(UInt64(s), $0) }
        }
    }

    public func oldestKeptSeq() throws -> UInt64? {
        try db.query("SELECT min(seq) FROM bouncetail.deltas WHERE \(deltasOfHost)", [host]).first?.first??.int.map { UInt64(max(0, $0)) }
    }

    public func deltaFileRecord(_ path: String) throws -> DeltaFileRecord? {
        // A change by hand writes its own deltas, not where the host's tracker stands.
        guard access == .write else { return nil }
        guard let r = try db.query("SELECT device, inode, written_seq FROM bouncetail.delta_files WHERE host = $1 AND path = $2",
                                   [host, path]).first else { return nil }
        guard let w = r[2]?.int, w >= 0 else { throw corrupt("delta_files", "'\(path)': written_seq") }
        return DeltaFileRecord(device: UInt64(bitPattern: r[0]?.int ?? 0), inode: UInt64(bitPattern: r[1]?.int ?? 0), writtenSeq: UInt64(w))
    }

    public func recordDeltaFile(_ path: String, _ record: DeltaFileRecord) throws {
        guard access == .write else { return }
        try transaction { try writeDeltaFile(path, record) }
    }

    public func metaValue(_ name: String) throws -> Int64? {
        if name == "stdout_seq" {
            guard access == .write else { return nil }
            return try db.query("SELECT stdout_seq FROM bouncetail.hosts WHERE host = $1", [host]).first?.first??.int
        }
        return try db.query("SELECT value FROM bouncetail.meta WHERE name = $1", [name]).first?.first??.int
    }

    public func lastSeq() throws -> UInt64 { UInt64(max(0, try metaValue("last_seq") ?? 0)) }

    // MARK: - Commands: every host reaches the database, so a change by hand is a commit of its own

    public func queuedCommands() throws -> [QueuedCommand] { [] }

    /// The fleet's last seq when last asked: the list changes only with a delta, and every delta moves it.
    private var seenSeq: Int64?

    public func othersMayHaveWritten() -> Bool {
        // A writer has no queue to look at (changes by hand are commits of their own).
        guard access == .read else { return false }
        guard let now = try? metaValue("last_seq") else { return true }
        defer { seenSeq = now }
        return now != seenSeq
    }
    public func enqueue(_ commands: [(QueuedCommand.Action, String, String?)], at time: Instant) throws -> [Int64] {
        throw StateError(message: "\(location): changes by hand are committed directly to a PostgreSQL state, never queued")
    }
    public func appliedCommands(_ ids: [Int64]) throws -> [Int64: (seq: UInt64?, note: String?)] { [:] }
    public func checkpointIfLarge() {}

    // MARK: - Readers

    public func forEachSuppressed(_ body: ([UInt8], BounceLedger.Recipient) throws -> Void) throws {
        for r in try db.query("SELECT address, timeline FROM bouncetail.recipients WHERE suppressed ORDER BY address COLLATE \"C\"", []) {
            let address = r[0] ?? ""
            try body(Array(address.utf8), try timeline(address, r[1] ?? "").record)
        }
    }

    // MARK: - For the policy service

    public func forEachSuppressedReasonAndWhy(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Bool) throws -> Void) throws {
        for r in try db.query(
            "SELECT address, COALESCE(suppress_reason, last_reason, 'manual'), suppress_why = 'soft' FROM bouncetail.recipients WHERE suppressed", [])
        {
            try Array((r[0] ?? "").utf8).withUnsafeBufferPointer { a in
                try Array((r[1] ?? "").utf8).withUnsafeBufferPointer { try body(a, $0, r[2] == "t") }
            }
        }
    }

    public func changedAddresses(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        let rows = try db.query("SELECT seq, recipient FROM bouncetail.deltas WHERE seq > $1 ORDER BY seq", [String(seq)])
        // Hosts forget their own deltas: any seq missing since `seq` means the list is to be read whole.
        let last = try lastSeq()
        guard UInt64(rows.count) == (last > seq ? last - seq : 0) else { return false }
        for r in rows { try Array((r[1] ?? "").utf8).withUnsafeBufferPointer { try body(UInt64(r[0]?.int ?? 0), $0) } }
        return true
    }

    public func suppressionReasonAndWhy(_ address: UnsafeBufferPointer<UInt8>) throws -> ([UInt8], Bool)? {
        guard let r = try db.query(
            "SELECT COALESCE(suppress_reason, last_reason, 'manual'), suppress_why = 'soft' FROM bouncetail.recipients WHERE address = $1 AND suppressed",
            [String(decoding: address, as: UTF8.self)]).first else { return nil }
        return (Array((r[0] ?? "").utf8), r[1] == "t")
    }

    /// What `report --state` shows (the embedded store's summary; no queue in a shared state).
    public func summary() throws -> SQLiteStateStore.Summary {
        var out = SQLiteStateStore.Summary()
        for r in try db.query(
            "SELECT COALESCE(suppress_why, 'manual'), COALESCE(suppress_reason, last_reason, ''), count(*) FROM bouncetail.recipients WHERE suppressed GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2", [])
        {
            out.suppressed.append((r[0] ?? "", r[1] ?? "", Int(r[2]?.int ?? 0)))
        }
        if let c = try db.query(
            "SELECT count(*), count(*) FILTER (WHERE hard > 0), count(*) FILTER (WHERE soft > 0) FROM bouncetail.recipients WHERE NOT suppressed AND (hard > 0 OR soft > 0)", []).first
        {
            out.counting = (Int(c[0]?.int ?? 0), Int(c[1]?.int ?? 0), Int(c[2]?.int ?? 0))
        }
        out.lastSeq = try lastSeq()
        out.deltasKept = Int(try db.query("SELECT count(*) FROM bouncetail.deltas", []).first?.first??.int ?? 0)
        out.timedEnds = Int(try db.query("SELECT count(*) FROM bouncetail.recipients WHERE suppressed AND until IS NOT NULL", []).first?.first??.int ?? 0)
        out.liftedByActivity = Int(try db.query("SELECT count(*) FROM bouncetail.deltas WHERE json LIKE '%\"why\":\"activity\"%'", []).first?.first??.int ?? 0)
        return out
    }

    public func check() throws -> [String] {
        var problems: [String] = []
        for r in try db.query("SELECT address, timeline, suppressed FROM bouncetail.recipients", []) {
            do {
                let t = try timeline(r[0] ?? "", r[1] ?? "")
                if t.record.suppressed != (r[2] == "t") { problems.append(corrupt("recipients", "'\(r[0] ?? "")': suppressed differs from its timeline").message) }
            } catch let e as StateError { problems.append(e.message) }
        }
        return problems
    }
}

extension String {
    fileprivate var int: Int64? { Int64(self) }
}

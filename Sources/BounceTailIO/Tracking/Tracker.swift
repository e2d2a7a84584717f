import BounceTailCore
import Foundation

/// Settings of `track` (and later `follow`).
public struct TrackSettings: Sendable {
    public var scan = ScanSettings()
    public var policy = SuppressionPolicy()
    /// Inputs are outcome JSON Lines from `scan`, not logs (activity events among them).
    public var events = false
    /// Recorded activity lifts a soft suppression (`--activity-lifts soft`), or none.
    public var activityLiftsSoft = true
    /// Commit progress at least every this many bytes of input.
    // A commit writes what changed since the last one; every 1 GiB keeps commits few on a big rotated set,
    // and a crash costs at most a GiB of re-reading (about a second and a half).
    public var commitEveryBytes: UInt64 = 1 << 30
    /// With a new state and a deltas file that already holds deltas, number from the file's last seq.
    public var continueSeq = false
    /// Delta rows kept in the state for `bouncetail deltas --since` (besides those not yet written out).
    public var keepDeltas: UInt64 = 100_000
    /// This host's name in a state shared by many hosts (default: the system's host name).
    public var hostName: String?
    /// In a shared state: how far behind the fleet's newest log time a host's outcomes are still placed
    /// exactly (docs/STATE.md, "Order across hosts").
    public var reorderWindowSeconds: Int64 = 86400

    public init() {}
}

/// `track`: reads inputs into the ledger, resuming where the state directory left off, and writes deltas
/// exactly once to a deltas file (at least once to stdout).
///
/// Order of effects at each commit: what changed — positions, counters, in-flight tables, the last seq and
/// the deltas of this step as rows — is stored in one database transaction; only then are the deltas
/// appended to the deltas file (or printed). A crash before the transaction commits repeats the step from the
/// previous commit and makes the same deltas with the same seqs; a crash after it finds the delta rows the
/// file does not have yet and appends them (docs/STATE.md).
public final class Tracker {
    public let settings: TrackSettings
    public let store: StateStore
    public let ledger: BounceLedger
    public let scan: LogScan
    var state: TrackState
    /// The state directory had no state before this run.
    let stateWasFresh: Bool
    private let output: DeltaOutput
    private var pending: [SuppressionDelta] = []
    /// Queued commands applied since the last commit.
    private var commandsDone: [(id: Int64, seq: UInt64?, note: String?)] = []
    /// Called after every chunk of `track` (about every MiB) with the input, lines read, the position in the
    /// file (compressed for gzip) and its size.
    public var onProgress: ((_ path: String, _ lines: Int, _ position: UInt64, _ size: UInt64?) -> Void)?

    func appendPending(_ d: SuppressionDelta) { pending.append(d) }
    /// Reads inputs as scanned chunks (on every core for plain files).
    private lazy var chunks = ChunkedRead(settings: settings.scan, reader: scan.reader)
    private var events = OutcomeEventParser()
    public var onWarning: (String) -> Void = { printError("bouncetail: \($0)") }
    /// Deltas made in this run (for tests and summaries).
    public private(set) var deltasMade = 0

    static let headBytes = 1024
    static let tailBytes = 64

    public init(stateDirectory: String, settings: TrackSettings, deltasPath: String?, out: OutputStream = OutputStream(),
                byHand: Bool = false) throws
    {
        self.settings = settings
        let store: StateStore
        if PostgresState.isConnectionString(stateDirectory) {
            let shared = try PostgresStateStore(stateDirectory, host: settings.hostName ?? PostgresState.systemHostName,
                                                access: byHand ? .byHand : .write)
            shared.reorderWindowSeconds = settings.reorderWindowSeconds
            store = shared
        } else {
            store = try SQLiteStateStore(directory: stateDirectory, access: .write)
        }
        self.store = store
        ledger = BounceLedger(policy: settings.policy)
        scan = LogScan(settings: settings.scan)
        var inFlight = scan.reader.inFlight
        state = try store.load(into: ledger, inFlight: &inFlight)
        stateWasFresh = store.isNew
        scan.reader.inFlight = inFlight
        ledger.backing = store
        state.run += 1
        let warn = WarningRelay()
        output = try DeltaOutput(
            path: deltasPath, store: store, ledger: ledger, continueNumbering: settings.continueSeq,
            fileMode: (store as? SQLiteStateStore)?.fileMode ?? 0o600, out: out, onWarning: { warn.send($0) })
        warn.target = { [unowned self] in self.onWarning($0) }
        // Deltas of earlier commits that may not have reached their destination.
        try output.catchUp(upTo: ledger.lastSeq)
        try applyQueuedCommands()
    }

    /// Forwards warnings to `onWarning` as it is when they happen (it may be replaced after init).
    private final class WarningRelay {
        var target: ((String) -> Void)?
        func send(_ s: String) { if let target { target(s) } else { printError("bouncetail: \(s)") } }
    }

    // MARK: - Inputs

    /// Reads one input from where the state left off (or from the start if it is new or changed).
    public func track(path: String) throws {
        savedSinceChange = false
        var opened = try InputOpener.open(path)
        var head = try readUpTo(Self.headBytes, from: opened.source)
        var source: ByteSource
        var record: Int? = nil
        var knownTail: [UInt8] = []
        if let known = matchingRecord(head) {
            if let (s, r, t) = try position(opened, head: head, record: known) {
                (source, record, knownTail) = (s, r, t)
            } else {
                // The content changed under a known head (truncated or rewritten): read it again from the start.
                onWarning("\(path): content differs from what was read before (up to line \(state.inputs[known].line)); reading it from the start")
                state.inputs[known].headLength = 0  // never matches again; indices stay valid for follow
                opened = try InputOpener.open(path)
                head = try readUpTo(Self.headBytes, from: opened.source)
                source = PrefixedSource(head, then: opened.source)
            }
        } else {
            source = PrefixedSource(head, then: opened.source)
        }
        let index: Int
        if let r = record {
            index = r
        } else {
            state.inputs.append(InputRecord(headHash: 0, headLength: 0, offset: 0, line: 0, tailHash: 0, tailLength: 0,
                                            name: path, run: state.run))
            index = state.inputs.count - 1
        }
        let run = InputRun(path: path, head: head, index: index, opened: opened)
        var position = InputPosition(
            lineNumber: record.map { state.inputs[$0].line } ?? 0, offset: record.map { state.inputs[$0].offset } ?? 0,
            tail: knownTail, resolver: scan.inputState(for: opened).resolver, format: settings.scan.format)
        defer { for w in opened.warnings { onWarning(w) } }
        if settings.events {
            try trackEvents(from: source, run, &position)
            return
        }
        let ledger = self.ledger
        let file = Array(path.utf8)
        let maxLine = settings.scan.maxLineBytes
        let progress = onProgress
        var outcomes = 0
        // A file read from its start with nothing recognised in it is named once (a cron run that resumes a
        // known log and finds only other lines is not).
        defer {
            if record == nil, let note = LogScan.nothingRecognised(path, lines: position.lineNumber, outcomes: outcomes,
                                                                   asked: settings.scan.format, found: position.format) {
                onWarning(note)
            }
        }
        do {
            // A plain file may still be written: its unterminated last line waits for the next run. Chunks
            // are at most as large as the commit interval (but 4 KiB at least), so commits come as often as asked.
            try chunks.read(
                opened, from: source, position: &position, flushPartialLineAtEnd: opened.isGzip || opened.isStdin,
                chunkBytes: Int(min(1 << 20, max(4096, settings.commitEveryBytes))),
                onOutcome: { o in
                    outcomes += 1
                    ledger.apply(o, file: file) { appendPending($0) }
                },
                onTooLong: { [onWarning] n in onWarning("\(path):\(n): line longer than \(maxLine) bytes skipped") },
                afterChunk: { now, bytes, last in
                    let readTo = opened.isGzip ? opened.raw.position : now.offset
                    progress?(path, now.lineNumber, readTo, opened.size)
                    uncommittedBytes += bytes
                    if bytes > 0 { savedSinceChange = false }
                    // Where the input ends, or a gzip file is read to its end already and only the chunks in hand
                    // are left, the commit waits for the next input's first chunk or for `finish` (which would
                    // otherwise save the whole state again moments later). A plain file may still be growing.
                    let nearEnd = last || opened.isGzip && opened.size.map { readTo >= $0 } ?? false
                    if uncommittedBytes >= settings.commitEveryBytes && !nearEnd {
                        saveRecord(run, at: now)
                        try commit()
                    }
                })
        } catch let e as InputError {
            // The input failed after the lines applied so far: they are kept, committed with the position
            // they reached, then the error goes up.
            saveRecord(run, at: position)
            try commit()
            throw e
        }
        // Committed with the next input's bytes or by `finish`: a commit rewrites the whole state, so a
        // rotated set of small archives is not made to pay for one per archive.
        saveRecord(run, at: position)
    }

    /// One input being read, and its record.
    struct InputRun {
        let path: String
        let head: [UInt8]
        let index: Int
        let opened: OpenedInput
    }

    private func saveRecord(_ run: InputRun, at p: InputPosition) {
        state.inputs[run.index] = InputRecord(
            headHash: Self.hash(run.head), headLength: run.head.count, offset: p.offset, line: p.lineNumber,
            tailHash: Self.hash(p.tail), tailLength: p.tail.count, name: run.path, run: state.run)
    }

    /// `--events`: outcome JSON Lines from `scan` instead of logs.
    private func trackEvents(from source: ByteSource, _ run: InputRun, _ position: inout InputPosition) throws {
        let lines = scan.lines
        lines.resume(lineNumber: position.lineNumber, offset: position.offset, tail: position.tail)
        lines.flushPartialLineAtEnd = run.opened.isGzip || run.opened.isStdin
        defer { lines.flushPartialLineAtEnd = true }
        let path = run.path
        let maxLine = settings.scan.maxLineBytes
        eventLines = (0, 0)
        defer {
            if eventLines.bad > Self.eventWarnings {
                onWarning("\(path): \(eventLines.bad) lines in all were not outcome events (the first \(Self.eventWarnings) named above)")
            }
        }
        while true {
            lines.pauseAt = lines.offset + settings.commitEveryBytes
            let result = try lines.run(
                from: source,
                onLine: { line, number in try trackEvent(line, number: number, path: path) },
                onTooLong: { [onWarning] number in onWarning("\(path):\(number): line longer than \(maxLine) bytes skipped") })
            position.lineNumber = lines.lineNumber
            position.offset = lines.offset
            position.tail = lines.tail(Self.tailBytes)
            saveRecord(run, at: position)
            try commit()
            if result != .bytes(0) { break }
        }
    }

    /// Lines of the current `--events` input that were events and that were not.
    private var eventLines = (good: 0, bad: 0)
    /// Non-event lines named one by one; the rest are counted.
    private static let eventWarnings = 10

    func trackEvent(_ line: UnsafeBufferPointer<UInt8>, number: Int, path: String) throws {
        if line.isEmpty { return }
        guard let (box, file) = events.parse(line, line: number) else {
            if let (address, time) = Self.activityEvent(line) {
                // An application's {"type":"activity",...} beside scan's outcomes: at its own time.
                let (_, d) = ledger.recordActivity(address, at: time, liftsSoft: settings.activityLiftsSoft)
                if let d { pending.append(d) }
                eventLines.good += 1
                return
            }
            eventLines.bad += 1
            // Nothing but non-events from the start: a mail log given with --events. Stop before millions of warnings.
            if eventLines.good == 0 && eventLines.bad >= Self.eventWarnings {
                throw InputError.notEvents(path: path, lines: eventLines.bad)
            }
            if eventLines.bad <= Self.eventWarnings { onWarning("\(path):\(number): not an outcome event, skipped") }
            return
        }
        eventLines.good += 1
        box.withOutcome { o in ledger.apply(o, file: file) { pending.append($0) } }
    }

    /// Moves the source to the saved position of record `i`, checking the bytes just before it; nil when the
    /// content there is not what was read before. Also returns the last bytes before the position (up to 64).
    private func position(_ opened: OpenedInput, head: [UInt8], record i: Int) throws -> (ByteSource, Int, [UInt8])? {
        let r = state.inputs[i]
        let offset = Int(r.offset)
        let tailStart = offset - r.tailLength
        guard tailStart >= 0 else { return nil }
        if offset <= head.count {
            guard r.tailLength == 0 || Self.hash(Array(head[tailStart..<offset])) == r.tailHash else { return nil }
            return (PrefixedSource(Array(head[offset...]), then: opened.source), i,
                    Array(head[max(0, offset - Self.tailBytes)..<offset]))
        }
        if !opened.isGzip, !opened.isStdin, let size = opened.size {
            let readFrom = max(0, offset - Self.tailBytes)
            guard size >= r.offset, opened.raw.seek(to: UInt64(readFrom)) else { return nil }
            let before = try readUpTo(offset - readFrom, from: opened.raw)
            guard before.count == offset - readFrom,
                r.tailLength == 0 || Self.hash(Array(before.suffix(r.tailLength))) == r.tailHash
            else { return nil }
            return (opened.raw, i, before)
        }
        // gzip or a pipe: read and drop the bytes up to the saved offset, keeping the last few to check.
        var remaining = offset - head.count
        var window = Array(head.suffix(Self.tailBytes))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var leftover: [UInt8] = []
        while remaining > 0 {
            let got = try chunk.withUnsafeMutableBytes { try opened.source.read(into: $0) }
            guard case .bytes(let n) = got else { return nil }  // shorter than before
            let used = min(n, remaining)
            window += chunk[..<used]
            if window.count > 4 * Self.tailBytes { window.removeFirst(window.count - Self.tailBytes) }
            leftover = Array(chunk[used..<n])
            remaining -= used
        }
        guard r.tailLength == 0 || Self.hash(Array(window.suffix(r.tailLength))) == r.tailHash else { return nil }
        return (PrefixedSource(leftover, then: opened.source), i, Array(window.suffix(Self.tailBytes)))
    }

    /// The record whose head is a prefix of this content's head (the longest such).
    func matchingRecord(_ head: [UInt8]) -> Int? {
        var best: Int? = nil
        for (i, r) in state.inputs.enumerated() where r.headLength > 0 && r.headLength <= head.count {
            guard Self.hash(Array(head[..<r.headLength])) == r.headHash else { continue }
            if best == nil || r.headLength > state.inputs[best!].headLength { best = i }
        }
        return best
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    // MARK: - Manual changes

    /// Applies the `suppress`/`unsuppress` other processes queued, and commits them; false when none.
    @discardableResult
    public func applyQueuedCommands() throws -> Bool {
        let commands = try store.queuedCommands()
        guard !commands.isEmpty else { return false }
        for c in commands {
            let address = Array(c.address.utf8)
            let d: SuppressionDelta?
            var note: String?
            switch c.action {
            case .suppress:
                d = ledger.suppressManually(address, reason: c.reason ?? "manual", at: c.time)
                note = d == nil ? "already suppressed" : nil
            case .unsuppress:
                d = ledger.unsuppressManually(address, at: c.time)
                note = d == nil ? "not suppressed" : nil
            case .activity:
                let (result, delta) = ledger.recordActivity(address, at: c.time, liftsSoft: c.reason != "lifts none")
                d = delta
                note = Self.note(result)
            case .reset:
                d = nil
                note = ledger.resetCounters(address) ? nil : "no counters to reset"
            }
            if let d { pending.append(d) }
            commandsDone.append((c.id, d?.seq, note))
        }
        try commit()
        return true
    }

    /// Recorded activity, each address at its time (see `BounceLedger.recordActivity`).
    public func activity(_ entries: [(address: String, time: Instant)], liftsSoft: Bool) throws {
        for (a, time) in entries {
            let (result, d) = ledger.recordActivity(Array(a.utf8), at: time, liftsSoft: liftsSoft)
            if let d { pending.append(d) }
            if let note = Self.note(result) { onWarning("\(a): \(note)") }
        }
        try commit()
    }

    /// Zeroes the counters of each address without changing the list.
    public func reset(_ addresses: [String]) throws {
        for a in addresses where !ledger.resetCounters(Array(a.utf8)) { onWarning("\(a): no counters to reset") }
        try commit()
    }

    /// `{"type":"activity","recipient":"a@b","time":"RFC 3339"}` (looked at only for lines that are no outcome).
    static func activityEvent(_ line: UnsafeBufferPointer<UInt8>) -> ([UInt8], Instant)? {
        guard ByteSearch.first("\"activity\"", in: line, 0..<line.count) != nil,
            let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            o["type"] as? String == "activity", let r = o["recipient"] as? String,
            let t = o["time"] as? String, let time = Instant(rfc3339: t)
        else { return nil }
        return (Array(r.utf8), time)
    }

    static func note(_ r: BounceLedger.ActivityResult) -> String? {
        switch r {
        case .unknown: "no counters or suppression: nothing to reset"
        case .olderThanLastBounce: "activity older than the last bounce: the bounce stands"
        case .keptSuppressed: "counters reset; the hard or manual suppression stays (a delivery or unsuppress lifts it)"
        case .reset, .lifted: nil
        }
    }

    public func suppress(_ addresses: [String], reason: String, at time: Instant) throws {
        for a in addresses {
            if let d = ledger.suppressManually(Array(a.utf8), reason: reason, at: time) { pending.append(d) } else if ledger.fleet == nil {
                onWarning("\(a): already suppressed")
            }
        }
        try commit()
    }

    public func unsuppress(_ addresses: [String], at time: Instant) throws {
        for a in addresses {
            if let d = ledger.unsuppressManually(Array(a.utf8), at: time) { pending.append(d) } else if ledger.fleet == nil {
                onWarning("\(a): not suppressed")
            }
        }
        try commit()
    }

    // MARK: - Commit

    /// Makes everything so far durable, then hands the new deltas out.
    public func commit() throws {
        FailPoint.reach("before-commit")
        var step = CommitStep(state: state, lastSeq: ledger.lastSeq)
        step.deltas = pending
        step.commandsDone = commandsDone
        step.deltaFile = output.record
        let stdoutSeq = output.stdoutSeqToRecord
        step.stdoutSeq = stdoutSeq
        // Rows not yet in the destination are kept whatever their age.
        let keepFrom = ledger.lastSeq > settings.keepDeltas ? ledger.lastSeq - settings.keepDeltas : 0
        step.forgetDeltasUpTo = min(keepFrom, output.writtenSeq)
        let made = try store.commit(step, ledger: ledger, inFlight: scan.reader.inFlight)
        ledger.committed()
        scan.reader.inFlight.committed()
        if let stdoutSeq { output.stdoutSeqRecorded(stdoutSeq) }
        FailPoint.reach("state-committed")
        pending = []
        commandsDone = []
        try output.emit(made)
        deltasMade += made.count
        savedSinceChange = true
        uncommittedBytes = 0
    }

    /// Nothing has changed since the last commit (the state on disk is current).
    private var savedSinceChange = false
    /// Input bytes applied since the last commit (over all inputs).
    private var uncommittedBytes: UInt64 = 0

    /// Final commit: forget records of inputs not seen for many runs; on stdout, record what was printed.
    public func finish() throws {
        let run = state.run
        let before = state.inputs.count + state.journals.count
        state.inputs.removeAll { run - $0.run > 50 }
        state.journals.removeAll { run - $0.run > 50 }
        try applyQueuedCommands()
        if !savedSinceChange || state.inputs.count + state.journals.count != before || !pending.isEmpty || ledger.hasChanges
            || !(ledger.fleet?.isEmpty ?? true) { try commit() }
        // On stdout, a state that does not know the last deltas were printed would print them again.
        if output.stdoutSeqToRecord != nil { try commit() }
        store.checkpointIfLarge()
        try output.out.flush()
    }
}

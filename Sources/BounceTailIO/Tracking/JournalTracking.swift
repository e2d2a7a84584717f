#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// Reading the systemd journal into the ledger: entries become the syslog lines the scanners know
/// (`JournalReader`), applied one by one, and the cursor of the last entry applied is committed with what they
/// changed, in the same transaction: a kill at any moment repeats and loses nothing.
extension Tracker {
    /// `track --journal`: from where the state left off (or the oldest entry) to the journal's current end.
    public func trackJournal(_ location: JournalLocation, filter: JournalFilter, fromEnd: Bool = false) throws {
        let reader = try JournalReader(location, filter: filter, maxLineBytes: settings.scan.maxLineBytes)
        var run = try startJournal(reader, fromEnd: fromEnd)
        while try readJournal(reader, &run, until: nil) {
            try commitJournal(reader, &run)
        }
        try commitJournal(reader, &run)
        journalNotes(reader, run)
    }

    /// `follow --journal`: reads new entries as they come, waiting in sd_journal_wait between them (no polling
    /// of files), committing at least every second while entries flow and soon after they stop.
    public func followJournal(
        _ location: JournalLocation, filter: JournalFilter, settings f: FollowSettings, shouldStop: () -> Bool,
        status: (String) -> Void
    ) throws {
        ledger.loadStoredFilter()
        let reader = try JournalReader(location, filter: filter, maxLineBytes: settings.scan.maxLineBytes)
        var run = try startJournal(reader, fromEnd: stateWasFresh && f.fromEnd)
        if !f.quiet { status("following \(location.description)") }
        var lastCommit = Date()
        var lastReport = Date()
        var entriesAtReport = run.entries
        while !shouldStop() {
            // Entries until the journal's end, or until a commit is due.
            let due = lastCommit.addingTimeInterval(f.commitIntervalSeconds)
            let more = try readJournal(reader, &run, until: due)
            if run.dirty && (more || Date() >= due || Date().timeIntervalSince(lastCommit) >= f.commitIntervalSeconds / 8) {
                try commitJournal(reader, &run)
                lastCommit = Date()
            }
            if let every = f.rateReportSeconds, Date().timeIntervalSince(lastReport) >= every {
                let rate = Double(run.entries - entriesAtReport) / Date().timeIntervalSince(lastReport)
                status(String(format: "%.0f entries/s; %d deltas so far", rate, deltasMade))
                lastReport = Date()
                entriesAtReport = run.entries
            }
            // `suppress`/`unsuppress` run beside us queue their changes: applied (and committed) at once.
            if store.othersMayHaveWritten() {
                try recordJournalPosition(reader, &run)
                if try applyQueuedCommands() {
                    lastCommit = Date()
                    run.dirty = false
                }
            }
            if more { continue }
            // Nothing new: sleep in the journal until it changes, waking for the commit due, the queue and a stop.
            let wait = run.dirty ? f.commitIntervalSeconds / 8 : f.pollIntervalSeconds
            _ = try reader.wait(seconds: wait)
        }
        try commitJournal(reader, &run)
        journalNotes(reader, run)
        try finish()
    }

    /// What one journal's reading has done so far in this run.
    struct JournalRun {
        let index: Int
        let file: [UInt8]
        /// Entries applied from this journal, in all runs (the `line` of what they make).
        var entries: Int
        var inputState: OutcomeReader.InputState
        var bytes: UInt64 = 0
        var dirty = false
    }

    /// Finds the journal's saved position and moves there (reporting entries lost to a vacuum), or to the start
    /// (or end) for a journal never read.
    private func startJournal(_ reader: JournalReader, fromEnd: Bool) throws -> JournalRun {
        let key = reader.location.stateKey
        let index: Int
        if let i = state.journals.firstIndex(where: { $0.key == key }), !state.journals[i].cursor.isEmpty {
            index = i
            let saved = state.journals[i]
            switch try reader.resume(after: saved) {
            case .exact: break
            case .lost(let missing):
                let when = Instant(seconds: Int64(saved.realtimeMicros / 1_000_000)).rfc3339
                if let missing {
                    onWarning("\(reader.location.description): the entry read last (\(when)) is no longer in the journal (vacuumed or rotated away); reading resumes at the oldest entry after it, \(Self.span(missing)) later: what was logged in between is missing")
                } else {
                    onWarning("\(reader.location.description): the entry read last (\(when)) is no longer in the journal, and nothing newer is; reading waits for new entries")
                }
            }
        } else {
            // Never read (or read while it was empty).
            if fromEnd { try reader.seekTail() } else { reader.seekHead() }
            if let i = state.journals.firstIndex(where: { $0.key == key }) {
                index = i
            } else {
                state.journals.append(JournalPosition(key: key, cursor: "", realtimeMicros: 0, run: state.run))
                index = state.journals.count - 1
            }
        }
        state.journals[index].run = state.run
        // The journal's times are exact (RFC 3339 in UTC): no year to guess, no zone.
        let resolver = StampResolver(zone: FixedZone.utc, reference: Instant(seconds: Int64(time(nil))), fixedYear: nil)
        return JournalRun(index: index, file: Array(reader.location.description.utf8), entries: state.journals[index].entries,
                          inputState: OutcomeReader.InputState(resolver: resolver, format: settings.scan.format))
    }

    /// Applies entries until the journal's end (false) or until a commit is due: `until`, or the commit interval
    /// in bytes (true).
    private func readJournal(_ reader: JournalReader, _ run: inout JournalRun, until: Date?) throws -> Bool {
        let ledger = self.ledger
        let file = run.file
        var sinceClock = 0
        while try reader.next() {
            run.entries += 1
            run.dirty = true
            if reader.tooLong {
                onWarning(reader.tooLongWarning)
                continue
            }
            let line = reader.line
            run.bytes += UInt64(line.count)
            line.withUnsafeBufferPointer { l in
                // The scanners take a line without its newline.
                let body = UnsafeBufferPointer(rebasing: l[..<(l.count - 1)])
                scan.reader.scan(body, line: run.entries, state: &run.inputState) { o in
                    ledger.apply(o, file: file) { appendPending($0) }
                }
            }
            if run.bytes >= settings.commitEveryBytes { return true }
            sinceClock += 1
            if let until, sinceClock >= 256 {
                sinceClock = 0
                if Date() >= until { return true }
            }
        }
        return false
    }

    /// The current entry becomes the journal's committed position (with the next commit).
    private func recordJournalPosition(_ reader: JournalReader, _ run: inout JournalRun) throws {
        guard let cursor = try reader.cursor() else { return }
        state.journals[run.index].cursor = cursor
        state.journals[run.index].realtimeMicros = reader.realtimeMicros
        state.journals[run.index].run = state.run
        state.journals[run.index].entries = run.entries
    }

    private func commitJournal(_ reader: JournalReader, _ run: inout JournalRun) throws {
        try recordJournalPosition(reader, &run)
        try commit()
        run.bytes = 0
        run.dirty = false
    }

    private func journalNotes(_ reader: JournalReader, _ run: JournalRun) {
        if reader.tooLongEntries > 20 {
            onWarning("\(reader.location.description): \(reader.tooLongEntries) entries in all had messages too long to read")
        }
    }

    /// "3 h 20 min", "45 s": how much time a gap covers.
    static func span(_ micros: UInt64) -> String {
        let s = micros / 1_000_000
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) days \(s % 86400 / 3600) h"
    }
}

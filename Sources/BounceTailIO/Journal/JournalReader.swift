#if BOUNCETAIL_JOURNAL
import CSystemd
#endif
#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore

/// Which systemd journal to read: this host's, a directory of journal files, or journal files named one by one
/// (copied from another host, or written by `systemd-journal-remote`).
public enum JournalLocation: Equatable, Sendable {
    case local
    case directory(String)
    case files([String])

    /// How messages name it.
    public var description: String {
        switch self {
        case .local: "the systemd journal"
        case .directory(let d): "journal directory \(d)"
        case .files(let f): f.count == 1 ? "journal file \(f[0])" : "journal files \(f.joined(separator: ", "))"
        }
    }

    /// The key its read position is committed under: one position per journal read.
    public var stateKey: String {
        switch self {
        case .local: "journal"
        case .directory(let d): "journal-dir:" + Self.absolute(d)
        case .files(let f): "journal-files:" + f.map(Self.absolute).sorted().joined(separator: ",")
        }
    }

    /// `path` from the working directory when it is relative (the state keys a journal by where it is).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + path
    }
}

/// Which entries are mail log lines: syslog identifiers (`*` matches any run of bytes) and, if any are named,
/// systemd units. The default identifiers are Postfix's under any `syslog_name` (`postfix/smtp`,
/// `postfix-out/qmgr`: a name, a slash, a program) and Exim's (`exim`, `exim4`); the scanners still decide what
/// each line means.
public struct JournalFilter: Equatable, Sendable {
    public static let defaultIdentifiers = ["*/*", "exim*"]
    public var identifiers: [String]
    /// `_SYSTEMD_UNIT` values (`postfix@-.service`); a name without a dot gets `.service`.
    public var units: [String]

    public init(identifiers: [String] = defaultIdentifiers, units: [String] = []) {
        self.identifiers = identifiers.isEmpty ? Self.defaultIdentifiers : identifiers
        self.units = units.map { $0.contains(".") ? $0 : $0 + ".service" }
    }

    /// The identifiers as bytes, made once (`accepts` runs for every entry).
    func patterns() -> [[UInt8]] { identifiers.map { Array($0.utf8) } }

    /// Whether an identifier matches one of the patterns.
    static func accepts(_ identifier: UnsafeBufferPointer<UInt8>, patterns: [[UInt8]]) -> Bool {
        patterns.contains { glob($0[...], identifier[...]) }
    }

    /// `*` matches any run of bytes (also none); everything else matches itself.
    static func glob(_ p: ArraySlice<UInt8>, _ s: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let first = p.first else { return s.isEmpty }
        if first == UInt8(ascii: "*") {
            var rest = s
            while true {
                if glob(p.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        }
        guard let c = s.first, c == first else { return false }
        return glob(p.dropFirst(), s.dropFirst())
    }
}

/// Where reading a journal stands: the cursor of the last entry applied and its time (microseconds since the
/// epoch), committed with the state so that a restart neither repeats nor skips an entry.
public struct JournalPosition: Equatable, Sendable {
    public var key: String
    public var cursor: String
    public var realtimeMicros: UInt64
    /// The run that last read it (old positions are forgotten like old inputs).
    public var run: Int
    /// Entries applied from it so far: a delta's `line` is its entry's number in this count.
    public var entries: Int

    public init(key: String, cursor: String, realtimeMicros: UInt64, run: Int, entries: Int = 0) {
        self.key = key
        self.cursor = cursor
        self.realtimeMicros = realtimeMicros
        self.run = run
        self.entries = entries
    }
}

/// Reads journal entries as the syslog lines the scanners know: `TIME HOST IDENTIFIER[PID]: MESSAGE`, the time
/// the entry's own (`__REALTIME_TIMESTAMP`, RFC 3339 in UTC with microseconds: no year to guess, no zone), a
/// message's newlines turned into spaces. Through libsystemd's sd-journal, entry by entry, into one reused buffer.
public final class JournalReader {
    public let location: JournalLocation
    public let filter: JournalFilter
    private let maxLineBytes: Int
    #if BOUNCETAIL_JOURNAL
    private let journal: OpaquePointer
    #endif
    /// The line of the current entry, newline included.
    public private(set) var line: [UInt8] = []
    /// The current entry's time in microseconds since the epoch.
    public private(set) var realtimeMicros: UInt64 = 0
    /// The current entry's message is longer than the longest line read: `line` is empty, the caller skips it.
    public private(set) var tooLong = false
    /// Whether reading has moved onto an entry yet (a cursor exists).
    public private(set) var onEntry = false
    /// Entries whose message was too long to use, since opening.
    public private(set) var tooLongEntries = 0
    #if BOUNCETAIL_JOURNAL
    /// Where the current entry's fields are copied, and the buffers they are copied into (made once).
    private let fields: UnsafeMutablePointer<bt_journal_fields>
    #endif
    private let patterns: [[UInt8]]
    private let acceptsAll: Bool
    /// `resume` stopped on an entry not read yet: the next `next` makes its line before moving on.
    private var readCurrentNext = false

    /// Whether this build reads journals (libsystemd's headers were there when it was built).
    public static var available: Bool {
        #if BOUNCETAIL_JOURNAL
        true
        #else
        false
        #endif
    }

    public init(_ location: JournalLocation, filter: JournalFilter = JournalFilter(), maxLineBytes: Int = 64 * 1024)
        throws
    {
        self.location = location
        self.filter = filter
        self.maxLineBytes = maxLineBytes
        acceptsAll = filter.identifiers.contains("*")
        patterns = filter.patterns()
        line.reserveCapacity(maxLineBytes + 700)
        #if BOUNCETAIL_JOURNAL
        let name = location.description
        try Self.checkExists(location)
        var j: OpaquePointer? = nil
        var rc: Int32
        switch location {
        case .local:
            rc = sd_journal_open(&j, 0)
        case .directory(let d):
            rc = sd_journal_open_directory(&j, d, 0)
        case .files(let files):
            var pointers = files.map { strdup($0) }
            pointers.append(nil)
            defer { for p in pointers { free(p) } }
            rc = pointers.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                    sd_journal_open_files(&j, $0, 0)
                }
            }
        }
        guard rc >= 0, let j else {
            throw InputError.cannotOpen(path: name, reason: Self.openFailure(rc))
        }
        journal = j
        // Allocated once the journal is open: from here a failure runs deinit, which frees them.
        fields = .allocate(capacity: 1)
        fields.initialize(to: bt_journal_fields())
        // Identifier, message (up to the longest line read), host name, the two PIDs.
        let capacities = [256, maxLineBytes, 256, 32, 32]
        withUnsafeMutableBytes(of: &fields.pointee.buf) { raw in
            let bufs = raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
            for (i, c) in capacities.enumerated() { bufs[i] = .allocate(capacity: c) }
        }
        withUnsafeMutableBytes(of: &fields.pointee.cap) { raw in
            let caps = raw.bindMemory(to: Int.self)
            for (i, c) in capacities.enumerated() { caps[i] = c }
        }
        // Whole messages, up to the longest line read (sd-journal cuts fields at 64 KiB unless told).
        sd_journal_set_data_threshold(j, maxLineBytes + 1)
        for unit in filter.units {
            rc = sd_journal_add_match(j, "_SYSTEMD_UNIT=" + unit, 0)
            guard rc >= 0 else { throw InputError.cannotOpen(path: name, reason: "unit \(unit): \(String(cString: strerror(-rc)))") }
        }
        #else
        throw InputError.cannotOpen(
            path: location.description,
            reason: "this build of bouncetail has no journal support (libsystemd-dev was missing when it was built)")
        #endif
    }

    /// What sd-journal's refusal to open means to someone who named the file.
    static func openFailure(_ rc: Int32) -> String {
        let text = String(cString: strerror(-rc))
        switch -rc {
        case EBADMSG: return "not a journal file, or a damaged one (\(text))"
        case ENODATA: return "a truncated journal file, or not a journal file (\(text))"
        case EPROTONOSUPPORT: return "written with journal features this libsystemd does not know (\(text))"
        default: return text
        }
    }

    deinit {
        #if BOUNCETAIL_JOURNAL
        sd_journal_close(journal)
        withUnsafeMutableBytes(of: &fields.pointee.buf) { raw in
            for b in raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self) { b?.deallocate() }
        }
        fields.deallocate()
        #endif
    }

    /// A journal that is not there at all is an error, not an empty run: this host's (neither
    /// /run/log/journal nor /var/log/journal), a directory, or files.
    static func checkExists(_ location: JournalLocation) throws {
        func exists(_ p: String, directory: Bool) -> Bool {
            var st = stat()
            guard stat(p, &st) == 0 else { return false }
            return directory == ((st.st_mode & S_IFMT) == S_IFDIR)
        }
        switch location {
        case .local:
            // An empty /var/log/journal (systemd installed, journald not running) is no journal either.
            let dirs = ["/run/log/journal", "/var/log/journal"]
            let found = dirs.map { Self.journalFiles($0, depth: 2) }
            guard found.contains(where: { $0.any }) else {
                throw InputError.cannotOpen(
                    path: location.description,
                    reason: "this host has none (no journal files in /run/log/journal or /var/log/journal); name log files instead, or --journal-dir for journal files copied here")
            }
            // sd-journal skips files it may not read, which would make an empty run: say why instead.
            guard found.contains(where: { $0.readable }) else {
                throw InputError.cannotOpen(
                    path: location.description,
                    reason: "permission denied on its files (run as root, or as a member of the systemd-journal or adm group)")
            }
        case .directory(let d):
            guard exists(d, directory: true) else {
                throw InputError.cannotOpen(path: location.description, reason: "no such directory")
            }
            // Journal files may sit in machine-id subdirectories: any *.journal below counts.
            let found = Self.journalFiles(d, depth: 2)
            guard found.any else {
                throw InputError.cannotOpen(path: location.description, reason: "no journal files (*.journal) in it")
            }
            guard found.readable else {
                throw InputError.cannotOpen(path: location.description, reason: "permission denied on its journal files")
            }
        case .files(let files):
            for f in files where !exists(f, directory: false) {
                throw InputError.cannotOpen(path: "journal file \(f)", reason: access(f, F_OK) == 0 ? "not a regular file" : "no such file")
            }
        }
    }

    /// Whether any journal file is below `dir` (machine-id subdirectories included), and any of them readable.
    private static func journalFiles(_ dir: String, depth: Int) -> (any: Bool, readable: Bool) {
        guard let d = opendir(dir) else { return (false, false) }
        defer { closedir(d) }
        var result = (any: false, readable: false)
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let path = dir + "/" + name
            if name.hasSuffix(".journal") || name.hasSuffix(".journal~") {
                result.any = true
                if access(path, R_OK) == 0 { return (true, true) }
            } else if depth > 0, e.pointee.d_type == UInt8(DT_DIR) {
                let below = journalFiles(path, depth: depth - 1)
                result.any = result.any || below.any
                if below.readable { return (true, true) }
            }
        }
        return result
    }

    // MARK: - Moving

    /// Before the first entry.
    public func seekHead() {
        #if BOUNCETAIL_JOURNAL
        sd_journal_seek_head(journal)
        readCurrentNext = false
        onEntry = false
        #endif
    }

    /// After the last entry (`follow --from end` on a fresh state).
    public func seekTail() throws {
        #if BOUNCETAIL_JOURNAL
        sd_journal_seek_tail(journal)
        // sd-journal stands after the tail only once it has stepped back onto the last entry.
        let rc = sd_journal_previous(journal)
        if rc < 0 { throw failure(rc) }
        if rc > 0 {
            onEntry = true
            realtimeMicros = currentRealtime()
        }
        #endif
    }

    /// What `resume` found at the saved position.
    public enum Resumed: Equatable {
        /// The saved entry is there: reading goes on after it.
        case exact
        /// The saved entry is gone (vacuumed, or the journal was replaced): reading goes on at the oldest entry
        /// after its time; `missingMicros` is the time from the saved entry to that one (nil: none yet).
        case lost(missingMicros: UInt64?)
    }

    /// Moves to just after the entry at `position`, which was applied before.
    public func resume(after position: JournalPosition) throws -> Resumed {
        #if BOUNCETAIL_JOURNAL
        var rc = sd_journal_seek_cursor(journal, position.cursor)
        if rc < 0 {
            // A cursor sd-journal cannot even parse: start after its time.
            sd_journal_seek_realtime_usec(journal, position.realtimeMicros)
        }
        rc = sd_journal_next(journal)
        if rc < 0 { throw failure(rc) }
        if rc == 0 {
            // Nothing at or after the cursor: the journal ends there. It counts as found when the saved entry is
            // the last one (a new entry will come after it).
            seekBackToTailIfSaved(position)
            return onEntry ? .exact : .lost(missingMicros: nil)
        }
        onEntry = true
        realtimeMicros = currentRealtime()
        if sd_journal_test_cursor(journal, position.cursor) > 0 { return .exact }
        // Gone: skip what is not newer than the saved entry (applied before, or at best the same second).
        while realtimeMicros <= position.realtimeMicros {
            rc = sd_journal_next(journal)
            if rc < 0 { throw failure(rc) }
            if rc == 0 { return .lost(missingMicros: nil) }
            realtimeMicros = currentRealtime()
        }
        // The next `next` reads this entry (stepping back before it is no move at the journal's head).
        readCurrentNext = true
        let missing = realtimeMicros - position.realtimeMicros
        return .lost(missingMicros: missing)
        #else
        return .exact
        #endif
    }

    #if BOUNCETAIL_JOURNAL
    private func seekBackToTailIfSaved(_ position: JournalPosition) {
        sd_journal_seek_tail(journal)
        if sd_journal_previous(journal) > 0, sd_journal_test_cursor(journal, position.cursor) > 0 {
            onEntry = true
            realtimeMicros = currentRealtime()
        } else {
            onEntry = false
            sd_journal_seek_tail(journal)
        }
    }

    private func currentRealtime() -> UInt64 {
        var t: UInt64 = 0
        sd_journal_get_realtime_usec(journal, &t)
        return t
    }

    private func failure(_ rc: Int32) -> InputError {
        .readFailed(path: location.description, reason: String(cString: strerror(-rc)))
    }
    #endif

    /// Steps to the next entry the filter accepts and makes its line; false when there is none (yet).
    public func next() throws -> Bool {
        #if BOUNCETAIL_JOURNAL
        if readCurrentNext {
            readCurrentNext = false
            if try makeLine() { return true }
        }
        while true {
            let rc = sd_journal_next(journal)
            if rc < 0 { throw failure(rc) }
            if rc == 0 { return false }
            onEntry = true
            if try makeLine() { return true }
        }
        #else
        return false
        #endif
    }

    /// The warning for the current entry when it is `tooLong` (its time names it: entries have no line numbers).
    public var tooLongWarning: String {
        let when = Instant(seconds: Int64(realtimeMicros / 1_000_000)).rfc3339
        return "\(location.description): entry at \(when): message longer than \(maxLineBytes) bytes skipped"
    }

    /// The cursor of the current entry (cold: once per commit).
    public func cursor() throws -> String? {
        #if BOUNCETAIL_JOURNAL
        guard onEntry else { return nil }
        var c: UnsafeMutablePointer<CChar>? = nil
        let rc = sd_journal_get_cursor(journal, &c)
        if rc < 0 { throw failure(rc) }
        defer { free(c) }
        return c.map { String(cString: $0) }
        #else
        return nil
        #endif
    }

    /// Waits until the journal changes or `seconds` pass; true when entries may have been added.
    public func wait(seconds: Double) throws -> Bool {
        #if BOUNCETAIL_JOURNAL
        let rc = sd_journal_wait(journal, UInt64(max(0, seconds) * 1_000_000))
        if rc < 0 { throw failure(rc) }
        return rc != SD_JOURNAL_NOP
        #else
        return false
        #endif
    }

    #if BOUNCETAIL_JOURNAL
    /// The current entry as a line; false when the filter passes it over (or it has no message).
    private func makeLine() throws -> Bool {
        // The time first: the fields' bytes are copied out before any other sd-journal call.
        realtimeMicros = currentRealtime()
        let rc = bt_journal_entry_fields(journal, fields)
        if rc < 0 { throw failure(rc) }
        let ident = value(BT_FIELD_IDENTIFIER)
        if !acceptsAll {
            guard JournalFilter.accepts(UnsafeBufferPointer(ident ?? UnsafeMutableBufferPointer(start: nil, count: 0)), patterns: patterns) else {
                return false
            }
        }
        guard let message = value(BT_FIELD_MESSAGE) else { return false }
        tooLong = fieldLength(BT_FIELD_MESSAGE) >= maxLineBytes
        if tooLong {
            tooLongEntries += 1
            line.removeAll(keepingCapacity: true)
            return true
        }
        // Built in a local array taken from the property (no exclusivity check per byte), then handed back.
        var l: [UInt8] = []
        swap(&l, &line)
        defer { swap(&l, &line) }
        l.removeAll(keepingCapacity: true)
        Instant(seconds: Int64(realtimeMicros / 1_000_000), nanoseconds: Int32(realtimeMicros % 1_000_000) * 1000,
                fractionDigits: realtimeMicros % 1_000_000 == 0 ? 0 : 6).appendRFC3339(to: &l)
        l.append(ASCII.space)
        if let host = value(BT_FIELD_HOSTNAME), !host.isEmpty { l.append(contentsOf: host) } else { l.append(contentsOf: Self.noHost) }
        l.append(ASCII.space)
        if let ident { l.append(contentsOf: ident) }
        // The PID the program logged (SYSLOG_PID), else the sender's.
        if let pid = value(BT_FIELD_SYSLOG_PID) ?? value(BT_FIELD_PID), !pid.isEmpty {
            l.append(UInt8(ascii: "["))
            l.append(contentsOf: pid)
            l.append(UInt8(ascii: "]"))
        }
        l.append(ASCII.colon)
        l.append(ASCII.space)
        let start = l.count
        l.append(contentsOf: message)
        // One entry is one line: a message's own line breaks become spaces.
        l.withUnsafeMutableBufferPointer { b in
            for k in start..<b.count where b[k] == ASCII.newline || b[k] == 0x0d { b[k] = ASCII.space }
        }
        l.append(ASCII.newline)
        return true
    }

    /// A field of the current entry as copied (cut at its buffer's size); nil when the entry has none.
    private func value(_ which: Int) -> UnsafeMutableBufferPointer<UInt8>? {
        let i = Int(which)
        let f = fields
        let present = withUnsafeBytes(of: &f.pointee.present) { $0.bindMemory(to: Int32.self)[i] }
        guard present != 0 else { return nil }
        let length = min(fieldLength(which), withUnsafeBytes(of: &f.pointee.cap) { $0.bindMemory(to: Int.self)[i] })
        let buf = withUnsafeBytes(of: &f.pointee.buf) { $0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)[i] }
        return UnsafeMutableBufferPointer(start: buf, count: length)
    }

    /// A field's whole length in the entry.
    private func fieldLength(_ which: Int) -> Int {
        withUnsafeBytes(of: &fields.pointee.length) { $0.bindMemory(to: Int.self)[Int(which)] }
    }
    #endif

    private static let noHost = Array("localhost".utf8)
}

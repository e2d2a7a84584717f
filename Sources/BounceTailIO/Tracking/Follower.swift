#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// Settings of `follow`.
public struct FollowSettings: Sendable {
    /// How long a rotated-away file must stay quiet before the new file is read.
    public var rotateWaitSeconds: Double = 5
    /// Longest sleep between two looks at an idle file.
    public var pollIntervalSeconds: Double = 0.25
    /// With a fresh state, start at the end of the files instead of their start.
    public var fromEnd = false
    /// Commit at least this often while data flows.
    public var commitIntervalSeconds: Double = 1
    /// Report lines per second on the status channel this often (nil: never).
    public var rateReportSeconds: Double? = nil
    /// No routine notes (following, rotated); warnings and errors still go to the status channel.
    public var quiet = false

    public init() {}
}

/// A followed file's open descriptor as a byte source that says `.idle`, not `.end`, at its current end.
final class TailSource: ByteSource {
    let fd: Int32
    let path: String
    var lastReadHadData = false

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        let n = try readRetrying(fd, buffer, path: path)
        lastReadHadData = n > 0
        return n == 0 ? .idle : .bytes(n)
    }
}

/// One open generation of a followed path: its descriptor, identity, and line reader.
final class FollowStream {
    let source: TailSource
    let device: UInt64
    let inode: UInt64
    let lines: LineReader
    var inputState: OutcomeReader.InputState
    var record: Int
    var head: [UInt8]
    var lastData = Date()
    let opened = Date()
    /// Data has been seen in it (an empty file opened is checked once for copies when data first appears).
    var sawData = false

    init(source: TailSource, device: UInt64, inode: UInt64, lines: LineReader, inputState: OutcomeReader.InputState,
         record: Int, head: [UInt8]) {
        self.source = source
        self.device = device
        self.inode = inode
        self.lines = lines
        self.inputState = inputState
        self.record = record
        self.head = head
    }
}

/// A path being followed: the current stream and, after a rotation, the old one still being drained.
final class FollowedPath {
    let path: String
    var current: FollowStream?
    var old: FollowStream?
    var rotations = 0
    var missingSince: Date?
    /// Since when the path has had no open stream (files rotated away meanwhile are read when it appears).
    var waitingSince = Date()

    init(path: String) { self.path = path }
}

extension Tracker {
    /// Follows `paths` until `shouldStop` says so, reading new lines as they are written, through rotation
    /// (rename + create, copytruncate, a file missing for a while), committing at least every second while data
    /// flows and at the stop. A partial last line waits for its newline, also across a restart.
    public func follow(
        paths: [String], settings f: FollowSettings, shouldStop: () -> Bool, status: (String) -> Void
    ) throws {
        let followed = paths.map(FollowedPath.init)
        let fresh = stateWasFresh
        // Before the first line, so that its latency is not the filter's (a quarter second per million stored).
        ledger.loadStoredFilter()
        for p in followed {
            try catchUpRotatedSiblings(of: p.path, status: status)
            p.current = try openStream(p.path, fromEnd: fresh && f.fromEnd)
            if !f.quiet { status(p.current != nil ? "following \(p.path)" : "waiting for \(p.path) to appear") }
        }
        var lastCommit = Date()
        var dirty = false
        var sleep = 0.001
        var lastReport = Date()
        var linesAtReport = followedLines(followed)
        while !shouldStop() {
            var progressed = false
            for p in followed { progressed = try poll(p, f, status) || progressed }
            if let every = f.rateReportSeconds, Date().timeIntervalSince(lastReport) >= every {
                let now = followedLines(followed)
                let rate = Double(now - linesAtReport) / Date().timeIntervalSince(lastReport)
                status(String(format: "%.0f lines/s; %d deltas so far", rate, deltasMade) + (store.commitSummary.map { "; " + $0 } ?? ""))
                lastReport = Date()
                linesAtReport = now
            }
            dirty = dirty || progressed
            // `suppress`/`unsuppress` run beside us queue their changes: applied (and committed) at once.
            if store.othersMayHaveWritten() {
                if dirty { updateRecords(followed) }
                if try applyQueuedCommands() {
                    lastCommit = Date()
                    dirty = false
                }
            }
            // Commit at least every interval while data flows, and soon after the files go quiet, so that new
            // lines reach the deltas well within a second.
            let since = Date().timeIntervalSince(lastCommit)
            if dirty && (since >= f.commitIntervalSeconds || (!progressed && since >= f.commitIntervalSeconds / 8)) {
                try commitFollowed(followed)
                lastCommit = Date()
                dirty = false
            }
            if progressed {
                sleep = 0.001
            } else {
                usleep(useconds_t(sleep * 1_000_000))
                sleep = min(sleep * 2, f.pollIntervalSeconds, dirty ? f.commitIntervalSeconds / 4 : .infinity)
            }
        }
        try commitFollowed(followed)
        try finish()
        if f.rateReportSeconds != nil, let summary = store.commitSummary { status(summary) }
    }

    private func followedLines(_ followed: [FollowedPath]) -> Int {
        followed.reduce(0) { $0 + ($1.current?.lines.lineNumber ?? 0) + ($1.old?.lines.lineNumber ?? 0) }
    }

    /// Reads what is new in a path; handles rotation and truncation. True if any bytes were read.
    private func poll(_ p: FollowedPath, _ f: FollowSettings, _ status: (String) -> Void) throws -> Bool {
        var progressed = false
        if let old = p.old {
            progressed = try drain(old, p.path)
            if progressed { old.lastData = Date() }
            if Date().timeIntervalSince(old.lastData) >= f.rotateWaitSeconds {
                try finishStream(old, p.path)  // also brings its record up to date
                p.old = nil
                try catchUpIntermediateGenerations(of: p.path, after: old, status)
            } else {
                return progressed  // the new file waits until the old one is quiet
            }
        }
        if let cur = p.current {
            if try drain(cur, p.path) {
                progressed = true
                cur.lastData = Date()
            }
        }
        var st = stat()
        if stat(p.path, &st) != 0 {
            if p.current != nil, p.missingSince == nil {
                p.missingSince = Date()
                status("\(p.path) disappeared; draining the open file and waiting for it to come back")
            }
            // Renamed or deleted without a replacement yet: the open file is drained meanwhile, and the new
            // one is recognised as a rotation (another inode) when it appears.
            return progressed
        }
        p.missingSince = nil
        guard let cur = p.current else {
            // Whatever was written and rotated away while we waited for the file comes first.
            try catchUpIntermediateGenerations(of: p.path, since: p.waitingSince, except: nil, status)
            p.current = try openStream(p.path, fromEnd: false)
            if p.current != nil, !f.quiet { status("following \(p.path)") }
            return progressed
        }
        if UInt64(st.st_dev) != cur.device || UInt64(st.st_ino) != cur.inode {
            p.rotations += 1
            if !f.quiet { status("\(p.path) rotated (\(p.rotations)); draining the old file for up to \(f.rotateWaitSeconds)s") }
            p.old = cur
            cur.lastData = Date()
            p.current = nil
            return try poll(p, f, status) || progressed
        }
        // Same file: shorter than what was read, or different bytes before our position, means it was
        // truncated (copytruncate) or rewritten.
        let size = UInt64(st.st_size)
        if size < cur.lines.offset + UInt64(cur.lines.pendingBytes) || !tailStillMatches(cur) {
            status("\(p.path) truncated or rewritten; reading it from the start")
            // copytruncate: what was not read yet is in the copy, known by its head or, if we had read nothing
            // of it, by being written since this stream was opened.
            updateRecord(cur, name: p.path)  // the copy continues from where this stream is
            try catchUpRotatedSiblings(of: p.path)
            try catchUpIntermediateGenerations(of: p.path, after: cur, status)
            p.current = try openStream(p.path, fromEnd: false, afterTruncation: true)
            return true
        }
        return progressed
    }

    /// Reads a stream up to its current end, applying its lines.
    private func drain(_ s: FollowStream, _ path: String) throws -> Bool {
        if !s.sawData, s.lines.offset == 0 {
            // Opened empty: a copytruncate before our first read would go unnoticed (nothing to compare), so
            // the first time data shows up, read any copy made since we opened it first.
            var st = stat()
            guard fstat(s.source.fd, &st) == 0, st.st_size > 0 else { return false }
            s.sawData = true
            try catchUpIntermediateGenerations(of: path, since: s.opened, except: (s.device, s.inode), { _ in })
            // Truncated and rewritten since it was opened: the head taken then names the copy (just read),
            // not what this stream will read, so the stream gets a record of its own.
            let now = Self.readHead(s.source.fd)
            if !(now.starts(with: s.head) || s.head.starts(with: now)) || state.inputs[s.record].offset != 0 {
                state.inputs.append(InputRecord(headHash: Self.hash(now), headLength: now.count, offset: 0, line: 0,
                                                tailHash: 0, tailLength: 0, name: path, run: state.run))
                s.record = state.inputs.count - 1
                s.head = now
            }
        }
        s.sawData = true
        let before = s.lines.offset + UInt64(s.lines.pendingBytes)
        _ = try s.lines.run(
            from: s.source,
            onLine: { line, number in
                // --events: a file an application appends outcome and activity events to.
                if settings.events { return try trackEvent(line, number: number, path: path) }
                scan.reader.scan(line, line: number, state: &s.inputState) { o in
                    ledger.apply(o, file: Array(path.utf8)) { appendPending($0) }
                }
            },
            onTooLong: { [onWarning, settings] number in
                onWarning("\(path):\(number): line longer than \(settings.scan.maxLineBytes) bytes skipped")
            })
        let progressed = s.lines.offset + UInt64(s.lines.pendingBytes) != before
        if progressed && s.head.count < Self.headBytes { refreshHead(s) }
        return progressed
    }

    /// Re-reads the first bytes of a young file, so its content can be recognised after a rotation.
    private func refreshHead(_ s: FollowStream) {
        let head = Self.readHead(s.source.fd)
        if head.starts(with: s.head) {
            s.head = head
            state.inputs[s.record].headHash = Self.hash(head)
            state.inputs[s.record].headLength = head.count
        }
    }

    /// The first bytes of an open file, as many as identify its content.
    private static func readHead(_ fd: Int32) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: headBytes)
        let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, headBytes, 0) }
        head.removeLast(headBytes - max(0, got))
        return head
    }

    /// A rotated-away file has gone quiet: its unterminated last line will never be completed, so use it.
    private func finishStream(_ s: FollowStream, _ path: String) throws {
        if s.lines.pendingBytes > 0 {
            s.lines.flushPartialLineAtEnd = true
            final class Ended: ByteSource { func read(into b: UnsafeMutableRawBufferPointer) throws -> ReadResult { .end } }
            _ = try s.lines.run(
                from: Ended(),
                onLine: { line, number in
                    if settings.events { return try trackEvent(line, number: number, path: path) }
                    scan.reader.scan(line, line: number, state: &s.inputState) { o in
                        ledger.apply(o, file: Array(path.utf8)) { appendPending($0) }
                    }
                }, onTooLong: { _ in })
        }
        updateRecord(s, name: path)
    }

    /// Whether the bytes just before the stream's position are still the ones read there.
    private func tailStillMatches(_ s: FollowStream) -> Bool {
        let tail = s.lines.tail(Self.tailBytes)
        guard !tail.isEmpty, s.lines.offset >= UInt64(tail.count) else { return true }
        var now = [UInt8](repeating: 0, count: tail.count)
        let n = now.withUnsafeMutableBytes { pread(s.source.fd, $0.baseAddress, tail.count, off_t(s.lines.offset) - off_t(tail.count)) }
        return n == tail.count && now == tail
    }

    /// Opens a path for following at its saved position (by content), at its end, or at its start.
    private func openStream(_ path: String, fromEnd: Bool, afterTruncation: Bool = false) throws -> FollowStream? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw InputError.cannotOpen(path: path, reason: errnoText())
        }
        var st = stat()
        fstat(fd, &st)
        let source = TailSource(fd: fd, path: path)
        let size = UInt64(st.st_size)
        let head = Self.readHead(fd)
        let lines = LineReader(maxLineBytes: settings.scan.maxLineBytes)
        lines.flushPartialLineAtEnd = false
        var start: UInt64 = 0
        var line = 0
        var record: Int
        if let i = matchingRecord(head), !afterTruncation, state.inputs[i].offset <= size,
            tailMatches(fd, state.inputs[i])
        {
            record = i
            start = state.inputs[i].offset
            line = state.inputs[i].line
        } else {
            if afterTruncation {
                // A racing writer may have left a hole of NUL bytes where the file was cut: skip it.
                start = firstNonNUL(fd, size: size)
            } else if fromEnd {
                (start, line) = endOfLastLine(fd, size: size)
            }
            state.inputs.append(InputRecord(headHash: Self.hash(head), headLength: head.count, offset: start, line: line,
                                            tailHash: 0, tailLength: 0, name: path, run: state.run))
            record = state.inputs.count - 1
        }
        lseek(fd, off_t(start), SEEK_SET)
        // The bytes before the position seed the reader's tail, so the record stays checkable after a short append.
        var before = [UInt8](repeating: 0, count: Int(min(UInt64(Self.tailBytes), start)))
        let got = before.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start) - off_t($0.count)) }
        lines.resume(lineNumber: line, offset: start, tail: got == before.count ? before : [])
        let opened = OpenedInput(path: path, source: source, isGzip: false, isStdin: false, modificationTime: nil,
                                 size: size, raw: FileSource(path: path, fd: -1, ownsDescriptor: false, prefix: []))
        var inputState = scan.inputState(for: opened)
        inputState.resolver = StampResolver(zone: settings.scan.zone, reference: Instant(seconds: Int64(Date().timeIntervalSince1970)),
                                            fixedYear: settings.scan.fixedYear)
        return FollowStream(source: source, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), lines: lines,
                            inputState: inputState, record: record, head: head)
    }

    private func tailMatches(_ fd: Int32, _ r: InputRecord) -> Bool {
        guard r.tailLength > 0 else { return true }
        var tail = [UInt8](repeating: 0, count: r.tailLength)
        let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, r.tailLength, off_t(r.offset) - off_t(r.tailLength)) }
        return n == r.tailLength && Self.hash(tail) == r.tailHash
    }

    private func firstNonNUL(_ fd: Int32, size: UInt64) -> UInt64 {
        var pos: UInt64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while pos < size {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(pos)) }
            if n <= 0 { break }
            if let k = chunk[..<n].firstIndex(where: { $0 != 0 }) { return pos + UInt64(k) }
            pos += UInt64(n)
        }
        return pos
    }

    /// The end of the last complete line and the number of lines before it (for `--from end`).
    private func endOfLastLine(_ fd: Int32, size: UInt64) -> (UInt64, Int) {
        var pos: UInt64 = 0
        var lines = 0
        var lastEnd: UInt64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while pos < size {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(pos)) }
            if n <= 0 { break }
            for k in 0..<n where chunk[k] == ASCII.newline {
                lines += 1
                lastEnd = pos + UInt64(k) + 1
            }
            pos += UInt64(n)
        }
        return (lastEnd, lines)
    }

    /// Before reading a path from a new start, finish the rest of its previous content wherever rotation
    /// put it (`path.1`, `path.0`, `path.01`, compressed or not): a sibling whose head is known and which is
    /// longer than what was read of it. Every sibling rotated after the newest known one was written while
    /// nobody read it (bouncetail was down over two rotations): it is read whole, oldest first. When the
    /// content last followed is nowhere to be found, the gap is reported.
    private func catchUpRotatedSiblings(of path: String, status: (String) -> Void = { _ in }) throws {
        let siblings = rotatedSiblings(of: path)
        var heads: [[UInt8]?] = []
        var anchor: Int? = nil
        for (k, sibling) in siblings.enumerated() {
            let head = (try? InputOpener.open(sibling.path)).flatMap { try? readUpTo(Self.headBytes, from: $0.source) }
            heads.append(head)
            if let head, matchingRecord(head) != nil { anchor = k }
        }
        if anchor == nil, let last = state.inputs.last(where: { $0.name == path && $0.headLength > 0 && $0.run < state.run }) {
            let current = (try? InputOpener.open(path)).flatMap { try? readUpTo(Self.headBytes, from: $0.source) } ?? []
            if !(current.count >= last.headLength && Self.hash(Array(current[..<last.headLength])) == last.headHash) {
                status("\(path): the file followed before (read to line \(last.line)) is not among its rotated files any more; what was written to it after that line is not read")
            }
        }
        for (k, sibling) in siblings.enumerated() {
            guard let head = heads[k], let opened = try? InputOpener.open(sibling.path) else { continue }
            if let i = matchingRecord(head) {
                // Plain files: only if longer than what was read; gzip: track finds out.
                if !opened.isGzip, let size = opened.size, size <= state.inputs[i].offset { continue }
            } else {
                guard let anchor, k > anchor else { continue }
                status("\(sibling.path): written and rotated away while nobody read it; reading it")
            }
            try track(path: sibling.path)
        }
    }

    /// Several rotations between two looks leave whole generations we never opened (`path.1` while we
    /// drained what is now `path.2`), and a file can be written and rotated away before we first see it:
    /// read those, oldest first, before the new file. Only files written since `since` count, so rotations
    /// from before following began are left alone.
    private func catchUpIntermediateGenerations(of path: String, after old: FollowStream, _ status: (String) -> Void)
        throws
    {
        try catchUpIntermediateGenerations(of: path, since: old.opened, except: (old.device, old.inode), status)
    }

    private func catchUpIntermediateGenerations(
        of path: String, since: Date, except: (UInt64, UInt64)?, _ status: (String) -> Void
    ) throws {
        for sibling in rotatedSiblings(of: path) {
            if let (dev, ino) = except, sibling.device == dev && sibling.inode == ino { continue }
            guard sibling.modified >= since.timeIntervalSince1970 - 1 else { continue }
            guard let opened = try? InputOpener.open(sibling.path) else { continue }
            let head = try readUpTo(Self.headBytes, from: opened.source)
            if let i = matchingRecord(head), let size = opened.size, !opened.isGzip, state.inputs[i].offset >= size {
                continue
            }
            if matchingRecord(head) == nil { status("\(sibling.path): written and rotated away between two looks; reading it") }
            try track(path: sibling.path)
        }
    }

    /// Files next to `path` named like its rotations (`mail.log.1`, `mail.log.2.gz`, `mainlog.01`,
    /// `mail.log-20261123`, Postfix's `maillog.20261123-101500.gz`), oldest first.
    private func rotatedSiblings(of path: String) -> [(path: String, modified: Double, device: UInt64, inode: UInt64)] {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        var found: [(String, Double, UInt64, UInt64)] = []
        for name in names where name != base && (name.hasPrefix(base + ".") || name.hasPrefix(base + "-")) {
            if name.hasSuffix(".tmp") || name.hasSuffix(".swp") { continue }
            let full = dir.isEmpty ? name : dir + "/" + name
            var st = stat()
            guard stat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            found.append((full, Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9, UInt64(st.st_dev), UInt64(st.st_ino)))
        }
        return found.sorted { $0.1 < $1.1 }.map { (path: $0.0, modified: $0.1, device: $0.2, inode: $0.3) }
    }

    private func updateRecord(_ s: FollowStream, name: String) {
        if s.head.count < Self.headBytes { refreshHead(s) }
        // The bytes just before the position as far as known (a shorter tail is a weaker but still true check).
        let tail = s.lines.tail(Self.tailBytes)
        var r = state.inputs[s.record]
        r.headHash = Self.hash(s.head)
        r.headLength = s.head.count
        r.offset = s.lines.offset
        r.line = s.lines.lineNumber
        r.tailHash = Self.hash(tail)
        r.tailLength = tail.count
        r.name = name
        r.run = state.run
        state.inputs[s.record] = r
    }

    private func updateRecords(_ followed: [FollowedPath]) {
        for p in followed {
            if let s = p.old { updateRecord(s, name: p.path) }
            if let s = p.current { updateRecord(s, name: p.path) }
        }
    }

    private func commitFollowed(_ followed: [FollowedPath]) throws {
        updateRecords(followed)
        try commit()
    }
}

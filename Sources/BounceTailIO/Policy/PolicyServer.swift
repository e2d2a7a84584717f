import BounceTailCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the policy service answers and how it behaves when it cannot read the state.
public struct PolicySettings: Sendable {
    /// A soft suppression (why = soft): answered with DEFER_IF_PERMIT (the default), REJECT, or DUNNO.
    public enum SoftAnswer: String, Sendable { case defer_ = "defer", reject, dunno }
    public var soft: SoftAnswer = .defer_
    /// When the state cannot be read: DUNNO (fail open, the default) or DEFER_IF_PERMIT (fail closed).
    public var failClosed = false
    /// How often the state is looked at for new commits.
    public var refreshSeconds: Double = 0.25
    /// Refusal counts are written to `refusals.db` this often.
    public var flushSeconds: Double = 5
    public init() {}
}

/// The MTA's question at RCPT time, answered from the suppression list: Postfix's policy delegation protocol
/// (`check_policy_service`: `name=value` lines and an empty line; `action=...` and an empty line back, on a
/// connection Postfix keeps) and a one-line protocol for Exim's `${readsocket}` (an address and a newline;
/// `REJECT <text>` or `DUNNO` and a newline back, then the connection is closed).
///
/// One thread, `poll` over the listeners and every client, non-blocking sockets: a slow or gone client never
/// holds the others up. The list is in memory (`SuppressedSet`), looked up on the request's bytes; each
/// answer is prepared once per reason. The state is read, never written: new commits are found by SQLite's
/// data_version and applied from the deltas table (the whole list again when deltas were dropped).
public final class PolicyServer: @unchecked Sendable {  // used by one thread at a time (handed to its own)
    public static let maxRequestBytes = 64 * 1024

    private let directory: String
    private let settings: PolicySettings
    private var store: SuppressionListSource?
    private var suppressed = SuppressedSet()
    private var lastSeq: UInt64 = 0
    /// Prepared answers: per entry number, the Postfix answer, the Exim answer and the reason (for the counts).
    private var answers: [(postfix: [UInt8], exim: [UInt8], refuses: Bool, reason: String)] = []
    private var answerIndex: [String: Int32] = [:]
    private var unavailable: String? = nil
    private var listeners: [Int32] = []
    private var clients: [Client] = []
    /// Kept in a state directory's `refusals.db`; a state in PostgreSQL has none (each host's MTA log counts
    /// its refusals for `report`).
    public let refusals: RefusalLog?
    public var log: (String) -> Void = { printError("bouncetail: serve: \($0)") }

    final class Client {
        var fd: Int32
        var input = [UInt8](repeating: 0, count: PolicyServer.maxRequestBytes)
        var count = 0
        var output: [UInt8] = []
        var sent = 0
        var exim = false
        var closeAfterWrite = false
        init(fd: Int32) { self.fd = fd }
    }

    public init(stateDirectory: String, settings: PolicySettings) throws {
        directory = stateDirectory
        self.settings = settings
        if PostgresState.isConnectionString(stateDirectory) {
            // A database that cannot be reached at start is answered fail-open or fail-closed until it can.
            refusals = nil
            reload()
            return
        }
        refusals = try RefusalLog(stateDirectory: stateDirectory)
        // A missing state is a mistake in the command (the wrong directory): refused at start. A state that is
        // there but cannot be read is answered fail-open or fail-closed until it can.
        var st = stat()
        guard lstat(stateDirectory + "/" + SQLiteStateStore.fileName, &st) == 0 else {
            throw StateError(message: "\(stateDirectory): no state yet (track or follow writes it)")
        }
        reload()
    }

    // MARK: - The list

    private func answer(reason: [UInt8], soft: Bool) -> Int32 {
        let reasonText = String(decoding: reason.map { $0 < 32 || $0 == 127 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        let key = (soft ? "s " : "h ") + reasonText
        if let i = answerIndex[key] { return i }
        let words = "suppressed: \(reasonText)"
        let action: (String, Bool)
        if soft {
            switch settings.soft {
            case .defer_: action = ("DEFER_IF_PERMIT 4.2.0 \(words) (for now)", true)
            case .reject: action = ("REJECT 5.1.1 \(words)", true)
            case .dunno: action = ("DUNNO", false)
            }
        } else {
            action = ("REJECT 5.1.1 \(words)", true)
        }
        let exim = action.1 ? (soft && settings.soft == .defer_ ? "DEFER \(words)\n" : "REJECT \(words)\n") : "DUNNO\n"
        answers.append((Array("action=\(action.0)\n\n".utf8), Array(exim.utf8), action.1, reasonText))
        answerIndex[key] = Int32(answers.count - 1)
        return Int32(answers.count - 1)
    }

    /// Reads the whole list again (at start, and when the deltas since the last look are no longer kept).
    private func reload() {
        do {
            let store: SuppressionListSource = try self.store ?? (PostgresState.isConnectionString(directory)
                ? PostgresStateStore(directory, host: PostgresState.systemHostName, access: .read)
                : SQLiteStateStore(directory: directory, access: .read))
            self.store = store
            var fresh = SuppressedSet()
            let seq = try store.lastSeq()
            try store.forEachSuppressedReasonAndWhy { address, reason, soft in
                fresh.set(address, 0..<address.count, answer(reason: Array(reason), soft: soft))
            }
            suppressed = fresh
            lastSeq = seq
            if unavailable != nil { log("\(PostgresState.redacted(directory)): readable again; \(suppressed.count) suppressed addresses") }
            unavailable = nil
        } catch {
            becomeUnavailable("\(error)")
        }
    }

    private func becomeUnavailable(_ why: String) {
        if unavailable == nil {
            log("cannot read the state (\(why)); answering \(settings.failClosed ? "DEFER_IF_PERMIT (fail closed)" : "DUNNO (fail open)") until it can")
        }
        unavailable = why
        store = nil
    }

    /// Applies what was committed since the last look.
    func refresh() {
        guard let store, unavailable == nil else { return reload() }
        guard store.othersMayHaveWritten() else { return }
        do {
            var changed: [(UInt64, [UInt8])] = []
            let complete = try store.changedAddresses(after: lastSeq) { seq, address in changed.append((seq, Array(address))) }
            guard complete else { return reload() }
            for (seq, address) in changed {
                let lowered = address.map(ASCII.lower)
                try lowered.withUnsafeBufferPointer { a in
                    if let (reason, soft) = try store.suppressionReasonAndWhy(a) {
                        suppressed.set(a, 0..<a.count, answer(reason: reason, soft: soft))
                    } else {
                        suppressed.remove(a, 0..<a.count)
                    }
                }
                lastSeq = max(lastSeq, seq)
            }
        } catch {
            becomeUnavailable("\(error)")
        }
    }

    // MARK: - Answers

    private static let dunnoPostfix = Array("action=DUNNO\n\n".utf8)
    private static let dunnoExim = Array("DUNNO\n".utf8)
    private static let failClosedPostfix = Array("action=DEFER_IF_PERMIT 4.3.0 bouncetail: suppression list unavailable\n\n".utf8)
    private static let failClosedExim = Array("DEFER suppression list unavailable\n".utf8)
    private static let noRecipient = Array("action=WARN bouncetail: no recipient= in the policy request\n\n".utf8)
    private static let tooLongPostfix = Array("action=WARN bouncetail: policy request over 64 KiB refused\n\n".utf8)
    private static let tooLongExim = Array("DUNNO request over 64 KiB refused\n".utf8)

    /// The answer for the address `l[r]` in the protocol given.
    @inline(__always)
    func answer(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, exim: Bool) -> [UInt8] {
        if unavailable != nil {
            if settings.failClosed { return exim ? Self.failClosedExim : Self.failClosedPostfix }
            return exim ? Self.dunnoExim : Self.dunnoPostfix
        }
        var r = r
        if r.count >= 2, l[r.lowerBound] == ASCII.lessThan, l[r.upperBound - 1] == ASCII.greaterThan {
            r = (r.lowerBound + 1)..<(r.upperBound - 1)
        }
        guard !r.isEmpty, let i = suppressed.lookup(l, r) else { return exim ? Self.dunnoExim : Self.dunnoPostfix }
        let a = answers[Int(i)]
        if a.refuses, let refusals { refusals.count(l, r, answer: Int(i)) }
        return exim ? a.exim : a.postfix
    }

    /// Answers the complete requests in a client's buffer (`closeAfterWrite` set when the connection ends).
    func handle(_ c: Client) {
        c.input.withUnsafeBufferPointer { buf in
            var start = 0
            while start < c.count {
                if c.exim || start == 0 && !c.exim && firstLineIsBare(buf, start, c.count) {
                    // Exim: one address per connection, on one line.
                    guard let nl = ByteSearch.first(ASCII.newline, in: buf, start..<c.count) else { break }
                    c.exim = true
                    var end = nl
                    if end > start, buf[end - 1] == ASCII.carriageReturn { end -= 1 }
                    var s = start
                    while s < end, buf[s] == ASCII.space || buf[s] == ASCII.tab { s += 1 }
                    while end > s, buf[end - 1] == ASCII.space || buf[end - 1] == ASCII.tab { end -= 1 }
                    c.output += answer(buf, s..<end, exim: true)
                    c.closeAfterWrite = true
                    start = c.count
                    break
                }
                // Postfix: attributes up to an empty line.
                guard let end = ByteSearch.first("\n\n", in: buf, start..<c.count) else { break }
                var recipient: Range<Int>? = nil
                var line = start
                while line < end + 1 {
                    let nl = ByteSearch.first(ASCII.newline, in: buf, line..<(end + 1)) ?? (end + 1)
                    if ByteSearch.hasPrefix("recipient=", in: buf, at: line, end: nl) { recipient = (line + 10)..<nl }
                    line = nl + 1
                }
                if let recipient, !recipient.isEmpty {
                    c.output += answer(buf, recipient, exim: false)
                } else {
                    c.output += Self.noRecipient
                }
                start = end + 2
            }
            if start > 0 {
                // Keep what is left (a request still arriving) at the front.
                let rest = c.count - start
                if rest > 0 { c.input.withUnsafeMutableBufferPointer { m in _ = memmove(m.baseAddress!, m.baseAddress! + start, rest) } }
                c.count = rest
            }
        }
        if c.count == c.input.count {
            c.output += c.exim ? Self.tooLongExim : Self.tooLongPostfix
            c.closeAfterWrite = true
            c.count = 0
        }
    }

    /// A first line without `=` is Exim's bare address; Postfix's attributes all have one.
    private func firstLineIsBare(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard let nl = ByteSearch.first(ASCII.newline, in: buf, start..<end) else { return false }
        return ByteSearch.first(ASCII.equals, in: buf, start..<nl) == nil
    }

    // MARK: - Sockets

    /// `unix:/path` or `inet:host:port` (also `host:port`).
    public func listen(_ spec: String) throws {
        let fd: Int32
        if spec.hasPrefix("unix:") {
            let path = String(spec.dropFirst(5))
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ServeError("\(spec): socket: \(String(cString: strerror(errno)))") }
            var st = stat()
            if lstat(path, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFSOCK else { close(fd); throw ServeError("\(path): exists and is not a socket; not replaced") }
                unlink(path)
            }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { close(fd); throw ServeError("\(path): path too long for a socket") }
            withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            guard rc == 0 else { let e = String(cString: strerror(errno)); close(fd); throw ServeError("\(path): bind: \(e)") }
            chmod(path, 0o666)
        } else {
            let hostPort = spec.hasPrefix("inet:") ? String(spec.dropFirst(5)) : spec
            guard let colon = hostPort.lastIndex(of: ":"), let port = UInt16(hostPort[hostPort.index(after: colon)...]) else {
                throw ServeError("\(spec): listen on unix:PATH or inet:HOST:PORT")
            }
            var host = String(hostPort[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
            var res: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host.isEmpty ? nil : host, "\(port)", &hints, &res) == 0, let ai = res else {
                throw ServeError("\(spec): cannot resolve \(host)")
            }
            defer { freeaddrinfo(res) }
            fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            guard fd >= 0 else { throw ServeError("\(spec): socket: \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                let e = String(cString: strerror(errno)); close(fd); throw ServeError("\(spec): bind: \(e)")
            }
        }
        guard Glibc.listen(fd, 128) == 0 else { let e = String(cString: strerror(errno)); close(fd); throw ServeError("\(spec): listen: \(e)") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listeners.append(fd)
    }

    /// Serves until `shouldStop` says so; refusal counts are written at the end.
    public func run(shouldStop: () -> Bool) {
        var lastRefresh = Date()
        var lastFlush = Date()
        var fds: [pollfd] = []
        while !shouldStop() {
            fds.removeAll(keepingCapacity: true)
            for l in listeners { fds.append(pollfd(fd: l, events: Int16(POLLIN), revents: 0)) }
            for c in clients {
                let wantsWrite = c.sent < c.output.count
                fds.append(pollfd(fd: c.fd, events: Int16(wantsWrite ? POLLOUT : POLLIN), revents: 0))
            }
            let n = poll(&fds, nfds_t(fds.count), Int32(settings.refreshSeconds * 1000))
            if n > 0 {
                for (i, p) in fds.enumerated() where p.revents != 0 {
                    if i < listeners.count { accept(from: p.fd) } else { service(clients[i - listeners.count], p.revents) }
                }
                clients.removeAll { $0.fd < 0 }
            }
            if Date().timeIntervalSince(lastRefresh) >= settings.refreshSeconds {
                refresh()
                lastRefresh = Date()
            }
            if Date().timeIntervalSince(lastFlush) >= settings.flushSeconds {
                flushRefusals()
                lastFlush = Date()
            }
        }
        flushRefusals()
        for c in clients { close(c.fd) }
        for l in listeners { close(l) }
    }

    private func flushRefusals() {
        do { try refusals?.flush { self.answers[$0].reason } } catch { log("\(error)") }
    }

    private func accept(from listener: Int32) {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE_COMPAT, &one, socklen_t(MemoryLayout<Int32>.size))
            clients.append(Client(fd: fd))
        }
    }

    private func service(_ c: Client, _ events: Int16) {
        if events & Int16(POLLOUT) != 0 || c.sent < c.output.count {
            flushOutput(c)
            return
        }
        let got = c.input.withUnsafeMutableBufferPointer { b in recv(c.fd, b.baseAddress! + c.count, b.count - c.count, 0) }
        if got <= 0 {
            if got < 0, errno == EAGAIN || errno == EINTR { return }
            // Exim shuts its side after the request: a request without its newline is still answered.
            if got == 0, c.count > 0, c.exim || firstLineIsBareOrAll(c) {
                c.input[c.count] = ASCII.newline
                c.count += 1
                handle(c)
                flushOutput(c)
            }
            drop(c)
            return
        }
        c.count += got
        handle(c)
        flushOutput(c)
    }

    private func firstLineIsBareOrAll(_ c: Client) -> Bool {
        c.count < c.input.count && c.input.withUnsafeBufferPointer { ByteSearch.first(ASCII.equals, in: $0, 0..<c.count) == nil }
    }

    private func flushOutput(_ c: Client) {
        while c.sent < c.output.count {
            let n = c.output.withUnsafeBufferPointer { send(c.fd, $0.baseAddress! + c.sent, $0.count - c.sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                drop(c)
                return
            }
            c.sent += n
        }
        c.output.removeAll(keepingCapacity: true)
        c.sent = 0
        if c.closeAfterWrite { drop(c) }
    }

    private func drop(_ c: Client) {
        guard c.fd >= 0 else { return }
        close(c.fd)
        c.fd = -1
    }
}

/// SO_NOSIGPIPE does not exist on Linux (MSG_NOSIGNAL is used on each send); a harmless option in its place.
private let SO_NOSIGPIPE_COMPAT = SO_KEEPALIVE

public struct ServeError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

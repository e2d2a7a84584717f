import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A scripted receiving mail server on 127.0.0.1 for the real MTAs to relay to. It answers `RCPT TO` by the
/// recipient's local part (see `reply(rcpt:)`), accepts the data of any transaction with an accepted
/// recipient, and records every answer it gave.
final class SMTPPeer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var seen: [String: Int] = [:]
    private var answers: [(rcpt: String, code: Int)] = []

    /// What the peer says to `RCPT TO:<rcpt>`, by local part; `attempt` counts from 1 per lower-cased address.
    static func reply(rcpt: String, attempt: Int) -> String {
        let local = rcpt.lowercased().split(separator: "@").first.map(String.init) ?? ""
        switch local {
        case "unknown": return "550 5.1.1 <\(rcpt)>: Recipient address rejected: User unknown in virtual mailbox table"
        case "nodomain": return "550 5.1.2 <\(rcpt)>: Recipient address rejected: Domain not found"
        case "full": return "452 4.2.2 <\(rcpt)>: Recipient address rejected: Mailbox full"
        case "grey": return "451 4.7.1 <\(rcpt)>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/example.net.html"
        case "spam": return "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
        case "dmarc": return "550 5.7.26 Unauthenticated email from sender.test is not accepted due to domain's DMARC policy"
        case "flaky": return attempt == 1 ? "451 4.3.0 <\(rcpt)>: Temporary lookup failure" : "250 2.1.5 Ok"
        default: return "250 2.1.5 Ok"
        }
    }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError.socket(errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw PeerError.socket(errno) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        listener = fd
        Thread.detachNewThread { [weak self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { if errno == EINTR { continue } else { return } }
                guard let peer = self else { close(c); return }
                Thread.detachNewThread { peer.serve(c) }
            }
        }
    }

    deinit { stop() }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The answers given so far to RCPT TO, as (address, reply code).
    var rcptAnswers: [(rcpt: String, code: Int)] { lock.withLock { answers } }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func send(_ text: String) { _ = Array((text + "\r\n").utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) } }
        func line() -> String? {
            while true {
                if let nl = pending.firstIndex(of: 10) {
                    let l = String(decoding: pending[..<nl], as: UTF8.self).trimmingCharacters(in: .init(charactersIn: "\r"))
                    pending.removeSubrange(...nl)
                    return l
                }
                let n = buffer.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                if n <= 0 { return nil }
                pending += buffer[..<n]
            }
        }
        send("220 peer.test ESMTP scripted peer")
        var accepted = 0
        while let command = line() {
            let verb = command.prefix(4).uppercased()
            switch verb {
            case "EHLO", "HELO": send("250 peer.test")
            case "MAIL":
                accepted = 0
                send("250 2.1.0 Ok")
            case "RCPT":
                let rcpt = command.split(separator: "<", maxSplits: 1).last.map { String($0.prefix { $0 != ">" }) } ?? ""
                let reply: String = lock.withLock {
                    let key = rcpt.lowercased()
                    seen[key, default: 0] += 1
                    let r = Self.reply(rcpt: rcpt, attempt: seen[key]!)
                    answers.append((rcpt, Int(r.prefix(3)) ?? 0))
                    return r
                }
                if reply.hasPrefix("250") { accepted += 1 }
                send(reply)
            case "DATA":
                guard accepted > 0 else {
                    send("554 5.5.1 Error: no valid recipients")
                    continue
                }
                send("354 End data with <CR><LF>.<CR><LF>")
                while let l = line(), l != "." {}
                send("250 2.0.0 Ok: queued")
            case "RSET":
                accepted = 0
                send("250 2.0.0 Ok")
            case "NOOP": send("250 2.0.0 Ok")
            case "QUIT":
                send("221 2.0.0 Bye")
                return
            default: send("502 5.5.2 Error: command not recognized")
            }
        }
    }

    enum PeerError: Error { case socket(Int32) }
}

/// Talks SMTP to a server on 127.0.0.1: reads the greeting, sends each command, and returns every reply
/// (the last line of each, with its code).
func smtpConversation(port: UInt16, _ commands: [String]) throws -> [String] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SMTPPeer.PeerError.socket(errno) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = port.bigEndian
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw SMTPPeer.PeerError.socket(errno) }
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    func reply() -> String {
        while true {
            // A reply ends with a line whose fourth character is a space ("250 ok", not "250-...").
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self).trimmingCharacters(in: .init(charactersIn: "\r"))
                pending.removeSubrange(...nl)
                if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return line }
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return "" }
            pending += buffer[..<n]
        }
    }
    var replies = [reply()]
    for c in commands {
        _ = Array((c + "\r\n").utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        replies.append(reply())
    }
    return replies
}

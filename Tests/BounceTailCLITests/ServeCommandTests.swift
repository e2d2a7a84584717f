import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client of `bouncetail serve`: one connection on its Unix socket.
final class PolicyClient {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in Array(path.utf8).enumerated() { p[i] = b } }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { close(fd); throw CocoaError(.fileReadNoSuchFile) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Reads until `end` is at the end of what came, or the peer closes.
    func read(until end: String?) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
            if let end, String(decoding: out, as: UTF8.self).hasSuffix(end) { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One Postfix policy request (attributes, then an empty line) and its answer.
    func postfix(_ attributes: [String]) -> String {
        send(attributes.joined(separator: "\n") + "\n\n")
        return read(until: "\n\n")
    }

    /// One Exim readsocket request: the address, a newline, the write side shut; the answer until close.
    static func exim(_ path: String, _ address: String) throws -> String {
        let c = try PolicyClient(path)
        c.send(address + "\n")
        shutdown(c.fd, Int32(SHUT_WR))
        return c.read(until: nil)
    }
}

/// Starts `bouncetail serve` on a socket in `dir` and stops it (SIGTERM) when done.
final class ServeProcess {
    let process = Process()
    let socketPath: String
    let stderr = Pipe()

    init(state: String, dir: URL, extra: [String] = [], socket: URL? = nil) throws {
        socketPath = (socket ?? dir.appendingPathComponent("policy.sock")).path
        process.executableURL = binary
        process.arguments = ["serve", "--state", state, "--listen", "unix:" + socketPath] + extra
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        _ = waitUntil(seconds: 5) { (try? PolicyClient(self.socketPath)) != nil }
    }

    /// Stops it and returns what it said on stderr.
    func stop() -> String {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

@Suite(.serialized) struct ServeCommandTests {
    @Test func postfixAndEximAreAnsweredFromTheListAndChangesShowWithinASecond() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st").path
        #expect(try run(["suppress", "--state", state, "--reason", "complaint", "bad@example.net", "\"odd name\"@example.net"]).status == 0)
        let server = try ServeProcess(state: state, dir: dir)
        var said = ""
        defer { if server.process.isRunning { _ = server.stop() } }
        let c = try PolicyClient(server.socketPath)
        // Postfix keeps its connection: several requests on one, any case, the address in <> or not.
        #expect(c.postfix(["request=smtpd_access_policy", "protocol_state=RCPT", "sender=s@app.test", "recipient=Bad@Example.NET"])
                == "action=REJECT 5.1.1 suppressed: complaint\n\n")
        #expect(c.postfix(["request=smtpd_access_policy", "recipient=good@example.net"]) == "action=DUNNO\n\n")
        #expect(c.postfix(["recipient=\"odd name\"@example.net"]) == "action=REJECT 5.1.1 suppressed: complaint\n\n")
        // Two requests in one write are answered in order.
        c.send("recipient=bad@example.net\n\nrecipient=x@example.org\n\n")
        #expect(c.read(until: "action=DUNNO\n\n") == "action=REJECT 5.1.1 suppressed: complaint\n\naction=DUNNO\n\n")
        // Exim: an address per connection; with or without the newline.
        #expect(try PolicyClient.exim(server.socketPath, "bad@example.net") == "REJECT suppressed: complaint\n")
        #expect(try PolicyClient.exim(server.socketPath, "good@example.net") == "DUNNO\n")
        // Bad requests: a clear answer, never a REJECT, never a crash.
        #expect(c.postfix(["request=smtpd_access_policy", "sender=s@app.test"]).hasPrefix("action=WARN bouncetail: no recipient="))
        let big = try PolicyClient(server.socketPath)
        big.send("recipient=" + String(repeating: "x", count: 1_000_000) + "\n\n")
        #expect(big.read(until: "\n\n").hasPrefix("action=WARN bouncetail: policy request over 64 KiB"))
        let garbage = try PolicyClient(server.socketPath)
        garbage.send(String(decoding: (0..<255).map { UInt8($0) } + [10], as: UTF8.self))
        shutdown(garbage.fd, Int32(SHUT_WR))
        #expect(!garbage.read(until: nil).contains("REJECT"))
        // A client that sends half a request and goes quiet holds nobody up.
        let slow = try PolicyClient(server.socketPath)
        slow.send("request=smtpd_access_policy\nrecipient=bad@exa")
        #expect(try PolicyClient(server.socketPath).postfix(["recipient=bad@example.net"]) == "action=REJECT 5.1.1 suppressed: complaint\n\n")
        slow.send("mple.net\n\n")
        #expect(slow.read(until: "\n\n") == "action=REJECT 5.1.1 suppressed: complaint\n\n")
        // Still answering the first connection after all that.
        #expect(c.postfix(["recipient=bad@example.net"]) == "action=REJECT 5.1.1 suppressed: complaint\n\n")
        // A change committed beside it is answered within a second.
        #expect(try run(["unsuppress", "--state", state, "bad@example.net"]).status == 0)
        #expect(try run(["suppress", "--state", state, "new@example.net"]).status == 0)
        let start = Date()
        let seen = waitUntil(seconds: 3) {
            c.postfix(["recipient=bad@example.net"]) == "action=DUNNO\n\n" && c.postfix(["recipient=new@example.net"]).contains("REJECT")
        }
        #expect(seen && Date().timeIntervalSince(start) < 1.0, "\(Date().timeIntervalSince(start)) s")
        said = server.stop()
        #expect(server.process.terminationStatus == 0, "\(said)")
        // The refusals were counted per address and reason.
        let rejected = try run(["list", "--state", state, "--rejected", "--format", "csv"])
        // Six refusals before the unsuppress, and one more if a request came before the service's next look.
        #expect(rejected.stdout.contains("bad@example.net,complaint,6,") || rejected.stdout.contains("bad@example.net,complaint,7,"),
                "\(rejected.stdout)")
        #expect(rejected.stdout.contains("\"\"\"odd name\"\"@example.net\",complaint,1,"), "\(rejected.stdout)")
        #expect(rejected.stdout.contains("new@example.net,manual,"), "\(rejected.stdout)")
        let report = try run(["report", "--state", state, "--json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect((o["refused_at_rcpt"] as? [String: Any])?["addresses"] as? Int == 3, "\(report.stdout)")
    }

    @Test func anUnreadableStateFailsOpenOrClosedAsConfigured() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st").path
        #expect(try run(["suppress", "--state", state, "bad@example.net"]).status == 0)
        try stateExecute(dir.appendingPathComponent("st"), "PRAGMA wal_checkpoint(TRUNCATE)")
        let db = dir.appendingPathComponent("st/state.db")
        let good = try Data(contentsOf: db)
        for (flags, answer) in [([String](), "action=DUNNO\n\n"), (["--fail-closed"], "action=DEFER_IF_PERMIT 4.3.0 bouncetail: suppression list unavailable\n\n")] {
            // Damaged when the service starts: it answers as configured, and says why.
            try Data(repeating: 0x41, count: good.count).write(to: db)
            let server = try ServeProcess(state: state, dir: dir, extra: flags)
            let c = try PolicyClient(server.socketPath)
            #expect(c.postfix(["recipient=bad@example.net"]) == answer, "\(flags)")
            // Repaired (restored from a backup): the list is answered again within a second.
            try good.write(to: db)
            let back = waitUntil(seconds: 3) { c.postfix(["recipient=bad@example.net"]).contains("REJECT") }
            let said = server.stop()
            #expect(back, "\(flags): \(said)")
            #expect(said.contains("cannot read the state") && said.contains("readable again"), "\(said)")
            #expect(server.process.terminationStatus == 0)
        }
        // A state that is not there at all: refused at start, exit 1.
        let none = try run(["serve", "--state", dir.appendingPathComponent("nothing").path, "--listen", "unix:" + dir.appendingPathComponent("x.sock").path])
        #expect(none.status == 1 && none.stderr.contains("no state yet"), "\(none.stderr)")
        #expect(try run(["serve", "--state", state]).status == 64)
    }
}

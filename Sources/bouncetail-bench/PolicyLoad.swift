import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Load on `bouncetail serve` as Postfix puts it: many smtpd processes, each on its own kept connection,
/// one request at a time. Prints requests per second, the latency percentiles, and how many were refused.
struct PolicyLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Load a running bouncetail serve over its Unix socket and print its speed.")

    @Option(help: "The service's Unix socket.")
    var socket: String

    @Option(help: "Concurrent connections (Postfix keeps one per smtpd process).")
    var connections: Int = 50

    @Option(help: "Requests per connection.")
    var requests: Int = 2000

    @Option(help: "Every Nth recipient is one of the suppressed ones (suppressed-N@example.net, N < --suppressed).")
    var every: Int = 10

    @Option(help: "How many suppressed-N@example.net addresses the state holds.")
    var suppressed: Int = 1000

    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var latencies: [Double] = []
        var refused = 0
        var failures = 0
    }

    func run() throws {
        let results = Results()
        let (socket, requests, every, suppressed) = (self.socket, self.requests, self.every, self.suppressed)
        let start = Date()
        let group = DispatchGroup()
        for c in 0..<connections {
            group.enter()
            Thread {
                defer { group.leave() }
                let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_un()
                addr.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in Array(socket.utf8).enumerated() { p[i] = b } }
                let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
                guard ok == 0 else { results.lock.lock(); results.failures += requests; results.lock.unlock(); return }
                defer { close(fd) }
                var mine: [Double] = []
                mine.reserveCapacity(requests)
                var mineRefused = 0
                var buf = [UInt8](repeating: 0, count: 4096)
                for i in 0..<requests {
                    let n = c * requests + i
                    let rcpt = n % every == 0 ? "suppressed-\(n % suppressed)@example.net" : "reader-\(n)@example.org"
                    let req = Array("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=192.0.2.\(c % 250)\nclient_name=app\(c).example\nhelo_name=app\nsender=news@sender.example\nrecipient=\(rcpt)\nrecipient_count=0\nsize=12345\n\n".utf8)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = req.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    var got = 0
                    while true {
                        let r = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
                        if r <= 0 { break }
                        got += r
                        if got >= 2, buf[got - 1] == 10, buf[got - 2] == 10 { break }
                    }
                    mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
                    if got > 14, buf[7] == UInt8(ascii: "R") { mineRefused += 1 }
                }
                results.lock.lock()
                results.latencies += mine
                results.refused += mineRefused
                results.lock.unlock()
            }.start()
        }
        group.wait()
        let seconds = Date().timeIntervalSince(start)
        let latencies = results.latencies.sorted()
        let (refused, failures) = (results.refused, results.failures)
        func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(String(format: "%d connections x %d requests: %.0f requests/s; latency µs p50 %.0f, p99 %.0f, max %.0f; refused %d; failed %d",
                     connections, requests, Double(latencies.count) / seconds, pct(0.5), pct(0.99), latencies.last ?? 0, refused, failures))
    }
}

import Foundation
import Testing

@Suite struct ListCommandTests {
    @Test func theListComesInEveryExportFormat() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try run([], shell: """
            cd '\(dir.path)' && "$BT" track --state st --hard-limit 1 --year 2026 --timezone UTC \
              '\(packageRoot.path)/samples/postfix/legacy.log' >/dev/null && \
            "$BT" suppress --state st --reason 'asked, by phone' 'Manual@Example.net' >/dev/null
            """)
        #expect(r.status == 0, "\(r.stderr)")
        func list(_ format: String) throws -> [String] {
            let l = try run([], shell: "cd '\(dir.path)' && \"$BT\" list --state st --format \(format)")
            #expect(l.status == 0, "\(l.stderr)")
            return l.stdout.split(separator: "\n").map(String.init)
        }
        let jsonl = try list("jsonl")
        #expect(jsonl.count == 5)
        #expect(jsonl.contains { $0.contains("\"recipient\":\"rupert@example.net\"") && $0.contains("\"why\":\"hard\"") })
        let csv = try list("csv")
        #expect(csv.first == "recipient,reason,since,until,hard,soft")
        #expect(csv.contains { $0.hasPrefix("manual@example.net,\"asked, by phone\",") && $0.hasSuffix(",,0,0") })
        let postfix = try list("postfix")
        #expect(postfix.contains("rupert@example.net REJECT 5.1.1 suppressed: userunknown"))
        #expect(postfix.allSatisfy { $0.split(separator: " ").count >= 2 })
        let exim = try list("exim")
        #expect(exim.contains("rupert@example.net: suppressed: userunknown"))
        // Postfix's own postmap must accept the table when it is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/postmap") {
            let m = try run([], shell: "cd '\(dir.path)' && \"$BT\" list --state st --format postfix > access && mkdir -p cf && : > cf/main.cf && /usr/sbin/postmap -c cf hash:access && /usr/sbin/postmap -c cf -q rupert@example.net hash:access")
            #expect(m.status == 0 && m.stdout.contains("REJECT 5.1.1"), "\(m.stderr)")
        }
    }
}

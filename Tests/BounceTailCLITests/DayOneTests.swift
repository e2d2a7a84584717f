import Foundation
import Testing

/// What an admin meets in the first hour: bad addresses, bulk imports, role and bare addresses, files that are
/// not mail logs, mistyped commands, help that reads as the command line is written.
@Suite struct DayOneTests {
    func listed(_ state: URL, _ format: String = "csv") throws -> Run {
        try run(["list", "--state", state.path, "--format", format])
    }

    @Test func suppressRefusesWhatIsNotAnAddressAndChangesNothing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st")
        let r = try run(["suppress", "--state", state.path, "", "not an address", "a@", "@example.net", "a..b@example.net",
                         "postmaster@example.org", "Abuse@Example.ORG", "ok@example.com"])
        #expect(r.status == 1)
        for bad in ["argument 1: \"\": refused: empty", "argument 2: not an address: refused: no @domain",
                    "argument 3: a@: refused", "argument 4: @example.net: refused", "argument 5: a..b@example.net: refused",
                    "argument 6: postmaster@example.org: refused", "argument 7: Abuse@Example.ORG: refused", "nothing changed"] {
            #expect(r.stderr.contains(bad), "\(bad): \(r.stderr)")
        }
        #expect(!r.stderr.contains("ok@example.com"))
        // Nothing was applied, not even the valid one.
        let l = try listed(state)
        #expect(!l.stdout.contains("ok@example.com"), "\(l.stdout) \(l.stderr)")
        // With --skip-invalid the valid ones are applied and the others still named.
        let s = try run(["suppress", "--state", state.path, "--skip-invalid", "--reason", "complaint", "not an address",
                         "<Ok@Example.com>", "\"odd name\"@example.net"])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stderr.contains("not an address: refused"))
        let after = try listed(state).stdout
        #expect(after.contains("ok@example.com,complaint"), "\(after)")
        #expect(after.contains("\"\"\"odd name\"\"@example.net\",complaint"), "\(after)")
    }

    @Test func addressesComeFromStdinAndCSVExportsForBulkImport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st")
        // stdin, one per line, with a comment and a blank line.
        let a = try run(["suppress", "--state", state.path, "--reason", "unsubscribe", "-"],
                        stdin: Data("# from the app\none@example.net\n\n<two@example.net>\r\n".utf8))
        #expect(a.status == 0, "\(a.stderr)")
        // An ESP export: a header, the address in the second column, a quoted field holding a comma and quotes.
        let csv = dir.appendingPathComponent("export.csv")
        try Data("name,email,created\nThree,three@example.net,2026-01-01\n\"Four, Jr\",\"\"\"four, x\"\"@example.net\",2026-01-02\n".utf8).write(to: csv)
        let b = try run(["suppress", "--state", state.path, "--reason", "complaint", "--file", csv.path, "--column", "email"])
        #expect(b.status == 0, "\(b.stderr)")
        // The column by number; a row without an address is named with its file and line.
        let csv2 = dir.appendingPathComponent("more.csv")
        try Data("five@example.net;x\nnobody;y\n".utf8).write(to: csv2)
        let c = try run(["suppress", "--state", state.path, "--file", csv2.path, "--column", "1"])
        #expect(c.status == 1 && c.stderr.contains("more.csv:2: nobody: refused"), "\(c.stderr)")
        let list = try listed(state).stdout
        for expected in ["one@example.net,unsubscribe", "two@example.net,unsubscribe", "three@example.net,complaint",
                         "\"\"\"four, x\"\"@example.net\",complaint"] {
            #expect(list.contains(expected), "\(expected): \(list)")
        }
        #expect(!list.contains("five@"), "nothing applied from a file with a refused line")
        // unsuppress reads the same way.
        let u = try run(["unsuppress", "--state", state.path, "-"], stdin: Data("one@example.net\n".utf8))
        #expect(u.status == 0, "\(u.stderr)")
        #expect(!(try listed(state).stdout.contains("one@example.net")))
        #expect(try run(["suppress", "--state", state.path, "--reason", "two\nlines", "x@example.net"]).status == 64)
    }

    @Test func bareNamesAndRoleAddressesAreNeverCountedOrSuppressed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        func bounce(_ n: Int, _ to: String, orig: String? = nil) -> String {
            "Nov  3 10:00:0\(n) mx postfix/smtp[1]: 4QABCDE\(n)Z: to=<\(to)>, \(orig.map { "orig_to=<\($0)>, " } ?? "")relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))"
        }
        try Data([bounce(1, "root"), bounce(2, "postmaster@example.net"), bounce(3, "ABUSE@example.net"),
                  bounce(4, "admin@example.net", orig: "root"), bounce(5, "gone@example.net", orig: "Gone.Alias@example.net")]
            .joined(separator: "\n").appending("\n").utf8).write(to: log)
        let state = dir.appendingPathComponent("st")
        let t = try run(["track", "--state", state.path, "--hard-limit", "1", "--timezone", "UTC", "--year", "2026", log.path])
        #expect(t.status == 0, "\(t.stderr)")
        let list = try listed(state, "postfix").stdout
        // The bare name counts under the address delivery went to; an alias under the alias.
        #expect(list.contains("admin@example.net REJECT"), "\(list)")
        #expect(list.contains("gone.alias@example.net REJECT"), "\(list)")
        for never in ["root", "postmaster@", "abuse@"] { #expect(!list.contains(never), "\(never): \(list)") }
        #expect(list.split(separator: "\n").count == 2, "\(list)")
    }

    @Test func exportsLeaveOutWhatATableCannotHoldAndSaySo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st")
        #expect(try run(["suppress", "--state", state.path, "\"odd name\"@example.net", "plain@example.net"]).status == 0)
        // A key an earlier version let in by hand.
        try stateExecute(state, "INSERT INTO recipients (address, hard, soft, suppressed, suppressed_at) VALUES ('not an address', 0, 0, 1, '2026-01-01T00:00:00Z')")
        let p = try listed(state, "postfix")
        #expect(p.status == 0)
        #expect(p.stdout == "\"odd name\"@example.net REJECT 5.1.1 suppressed: manual\nplain@example.net REJECT 5.1.1 suppressed: manual\n", "\(p.stdout)")
        #expect(p.stderr.contains("not an address: not an address a postfix table can hold"), "\(p.stderr)")
        let e = try listed(state, "exim")
        #expect(e.stdout == "\"\\\"odd name\\\"@example.net\": suppressed: manual\nplain@example.net: suppressed: manual\n", "\(e.stdout)")
        #expect(try listed(state, "jsonl").stdout.contains("\"recipient\":\"not an address\""), "jsonl carries every key")
    }

    @Test func aFileThatIsNotAMailLogIsNamedOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("passwd")
        try Data((0..<50).map { "user\($0):x:\($0):\($0)::/home/u:/bin/sh\n" }.joined().utf8).write(to: junk)
        let s = try run(["scan", junk.path])
        #expect(s.status == 0 && s.stdout.isEmpty)
        #expect(s.stderr == "bouncetail: \(junk.path): no Postfix or Exim lines recognised in 50 lines (not a mail log?)\n", "\(s.stderr)")
        let r = try run(["report", junk.path])
        #expect(r.stderr.contains("no Postfix or Exim lines recognised"), "\(r.stderr)")
        let x = try run(["scan", "--format", "exim", "samples/postfix/legacy.log"])
        #expect(x.stderr.contains("no Exim delivery lines recognised"), "\(x.stderr)")
        let state = dir.appendingPathComponent("st")
        let t = try run(["track", "--state", state.path, junk.path])
        #expect(t.status == 0 && t.stderr.contains("no Postfix or Exim lines recognised"), "\(t.stderr)")
        // A later run that finds only new non-mail lines in a known file is not a mistake to point out.
        let h = try FileHandle(forWritingTo: junk)
        h.seekToEndOfFile()
        h.write(Data("more:x:1:1::/:/bin/sh\n".utf8))
        try h.close()
        let again = try run(["track", "--state", state.path, junk.path])
        #expect(again.status == 0 && again.stderr.isEmpty, "\(again.stderr)")
        // A real log is not warned about.
        let ok = try run(["scan", "--timezone", "UTC", "--year", "2026", "samples/postfix/legacy.log"])
        #expect(ok.stderr.isEmpty, "\(ok.stderr)")
    }

    @Test func eventsGivenAMailLogStopWithOneError() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = ""
        for i in 0..<5000 { lines += "Nov  3 10:00:00 mx postfix/smtpd[\(i)]: connect from unknown[192.0.2.1]\n" }
        let log = dir.appendingPathComponent("mail.log")
        try Data(lines.utf8).write(to: log)
        let r = try run(["track", "--events", "--state", dir.appendingPathComponent("st").path, log.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("are not outcome events"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count <= 11, "\(r.stderr.split(separator: "\n").count) lines")
    }

    @Test func anUnknownCommandIsNamedWithTheNearestOne() throws {
        let r = try run(["trak", "mail.log"])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("bouncetail: unknown command 'trak' (did you mean 'track'?)"), "\(r.stderr)")
        let n = try run(["frobnicate"])
        #expect(n.status == 64 && n.stderr.contains("unknown command 'frobnicate'") && !n.stderr.contains("did you mean"))
        #expect(try run(["help", "list"]).status == 0)
    }

    @Test func explainJSONCarriesWhatItsTextShows() throws {
        let bare = try run(["explain", "--json", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(bare.stdout.utf8)) as? [String: Any])
        #expect(o["status"] as? String == "bounced" && o["status_assumed"] as? Bool == true && o["dsn"] as? String == "5.1.1"
                && o["reply_code"] as? Int == 550 && o["reason"] as? String == "userunknown", "\(o)")
        let line = try run(["explain", "--json", "--line", "Nov  3 10:00:01 mx postfix/smtp[1]: 4Xy1Z2abcD: to=<a@b.example>, relay=gmail-smtp-in.l.google.com[192.0.2.1]:25, dsn=4.7.0, status=deferred (host gmail-smtp-in.l.google.com[192.0.2.1] said: 421 4.7.0 Try again later, closing connection. (in reply to EHLO command))"])
        let p = try #require(try JSONSerialization.jsonObject(with: Data(line.stdout.utf8)) as? [String: Any])
        #expect(p["status"] as? String == "deferred" && p["status_assumed"] == nil && p["provider"] as? String == "Google"
                && p["stage"] as? String == "HELO/EHLO" && p["reason"] as? String == "blocked", "\(p)")
        // A qmail code at the reply's end decides for the empty one Postfix logged, and explain says where it came from.
        let q = try run(["explain", "--json", "--line", "Nov  3 10:00:02 mx postfix/smtp[1]: 4Xy1Z2abcE: to=<a@b.example>, relay=mx.b.example[192.0.2.2]:25, dsn=5.0.0, status=bounced (host mx.b.example[192.0.2.2] said: 553 sorry, this cannot be done here (#5.7.1) (in reply to MAIL FROM command))"])
        let e = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any])
        #expect(e["dsn"] as? String == "5.0.0" && e["reason"] as? String == "securityerror"
                && (e["decided_by"] as? String)?.contains("5.7.1") == true
                && (e["decided_by"] as? String)?.contains("end of the reply") == true, "\(e)")
        // Words that give way to the code are named as having done so.
        let y = try run(["explain", "--json", "--status", "bounced", "--dsn", "4.4.1", "connect to mx.b.example[192.0.2.2]:25: Connection refused"])
        let x = try #require(try JSONSerialization.jsonObject(with: Data(y.stdout.utf8)) as? [String: Any])
        #expect(x["reason"] as? String == "expired" && (x["decided_by"] as? String)?.contains("expiry code outranks") == true, "\(x)")
    }

    @Test func helpShowsDurationsAsTheyAreWritten() throws {
        let t = try run(["track", "--help"]).stdout
        #expect(t.contains("(default: 7d)") && t.contains("(default: 10d)"), "\(t)")
        #expect(!t.contains("Duration(seconds"))
        let f = try run(["follow", "--help"]).stdout
        for option in ["--year", "--max-line-bytes", "--quiet"] { #expect(f.contains(option), "\(option)") }
        #expect(try run(["follow", "--state", "/nonexistent/x", "--max-line-bytes", "10", "a.log"]).status == 64)
    }
}

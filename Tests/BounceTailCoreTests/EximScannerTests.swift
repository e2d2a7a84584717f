import BounceTailCore
import Testing

let eximCases: [ScanCase] = [
    ScanCase(
        line: "2026-11-23 10:00:01 1RwtJY-0009RI-E4 => alice@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 Ok: queued as 4QZ\"",
        expect: ["time": "2026-11-23T10:00:01Z", "mta": "exim", "queue_id": "1RwtJY-0009RI-E4", "recipient": "alice@example.net",
                 "status": "delivered", "smtp_code": "250", "relay": "mx.example.net [192.0.2.10]", "diagnostic": nil]),
    ScanCase(
        line: "2026-11-23 10:00:01 1tixMn-00000000C5j-1wRa ** Bob@Example.NET R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<bob@example.net>: 550 5.1.1 User unknown",
        expect: ["queue_id": "1tixMn-00000000C5j-1wRa", "recipient": "bob@example.net", "status": "bounced",
                 "dsn": "5.1.1", "smtp_code": "550",
                 "diagnostic": "SMTP error from remote mail server after RCPT TO:<bob@example.net>: 550 5.1.1 User unknown"]),
    ScanCase(  // Exim 4.99: ` : ` before the text
        line: "2026-11-23 10:00:07 1wQx7D-0004Ae-Gh ** frank@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10] : SMTP error from remote mail server after end of data: 554 5.7.1 Message rejected as spam",
        expect: ["status": "bounced", "relay": "mx.example.net [192.0.2.10]", "dsn": "5.7.1", "smtp_code": "554"]),
    ScanCase(
        line: "2026-11-23 10:00:02 1wQx7A-0004Ab-Cd == carol@full.example.com R=dnslookup T=remote_smtp defer (-44) H=mx.full.example.com [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<carol@full.example.com>: 452 4.2.2 Over quota",
        expect: ["status": "deferred", "dsn": "4.2.2", "smtp_code": "452", "relay": "mx.full.example.com [198.51.100.7]"]),
    ScanCase(
        line: "2026-11-23 10:00:13 1wQx7H-0004Ai-Op == lea@example.com R=dnslookup T=remote_smtp defer (110): Connection timed out",
        expect: ["status": "deferred", "diagnostic": "Connection timed out", "smtp_code": nil]),
    ScanCase(
        line: "2026-11-23 10:00:09 1wQx7E-0004Af-Ij == heidi@example.net R=dnslookup T=remote_smtp defer (-1): domain matches queue_smtp_domains, or -odqs set",
        expect: [:]),
    ScanCase(  // the queue runner skipped the host: no attempt, so no outcome and no counter moves
        line: "2026-11-23 10:00:09 1wQx7E-0004Af-Ij == heidi@example.net R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host",
        expect: [:]),
    ScanCase(
        line: "2026-11-23 10:00:09 1wQx7E-0004Af-Ij == heidi@example.net routing defer (-51): retry time not reached",
        expect: [:]),
    ScanCase(
        line: "2026-11-23 10:00:08 1wQx7D-0004Ae-Gh *> grace@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10]",
        expect: [:]),
    ScanCase(
        line: "2026-11-23 10:00:10 1wQx7E-0004Af-Ij >> ivan@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10] C=\"250 OK\"",
        expect: ["status": "delivered", "recipient": "ivan@example.net"]),
    ScanCase(
        line: "2026-11-23 10:00:03.417 +0100 [4242] 1wQx7B-00000001aBc-0c3d => dave <Dave@example.org> R=local_user T=mail_spool",
        expect: ["time": "2026-11-23T09:00:03.417Z", "recipient": "dave@example.org", "original_recipient": nil]),
    ScanCase(
        line: "2026-11-23 10:00:03 1wQx7B-0004Ab-Cd -> other@example.org <postmaster@example.org> R=aliases T=remote_smtp H=mx.example.org [192.0.2.40]",
        expect: ["status": "delivered", "recipient": "other@example.org", "original_recipient": "postmaster@example.org"]),
    ScanCase(
        line: "2026-11-23 10:00:04 1wQx7C-0004Ad-Ef ** |/usr/local/bin/autoreply (list@example.org) <list-reply@example.org> R=system_aliases T=address_pipe: Child process of address_pipe transport returned 69",
        expect: ["recipient": "list-reply@example.org", "original_recipient": nil, "status": "bounced"]),
    ScanCase(
        line: "2026-11-23 10:00:05 1wQx7C-0004Ad-Ef => :blackhole: <spamtrap@example.org> R=blackhole_router",
        expect: ["recipient": "spamtrap@example.org", "status": "delivered"]),
    ScanCase(
        line: "2026-11-23 10:00:05 1wQx7C-0004Ad-Ef => /var/mail/archive <archive@example.org> R=archive T=address_file",
        expect: ["recipient": "archive@example.org"]),
    ScanCase(
        line: "2026-11-23 10:00:06 1wQx7D-0004Ae-Gh ** erin@gmial.com: Unrouteable address",
        expect: ["recipient": "erin@gmial.com", "status": "bounced", "diagnostic": "Unrouteable address"]),
    ScanCase(
        line: "2026-11-30 10:00:11 1wQx7F-0004Ag-Kl ** judy@slow.example R=dnslookup T=remote_smtp: retry timeout exceeded",
        expect: ["status": "expired"]),
    ScanCase(
        line: "2026-11-30 10:00:11 1wQx7F-0004Ag-Kl ** judy@slow.example: all hosts for 'slow.example' have been failing for a long time (and retry time not reached)",
        expect: ["status": "expired"]),
    ScanCase(  // before 4.85 the host was inside the text
        line: "2026-11-23 10:00:12 1wQx7G-0004Ah-Mn ** ken@old.example R=dnslookup T=remote_smtp: SMTP error from remote mailer after RCPT TO:<ken@old.example>: host mx.old.example [198.51.100.9]: 550 mailbox unavailable",
        expect: ["relay": "mx.old.example [198.51.100.9]", "smtp_code": "550"]),
    ScanCase(
        line: "Nov 23 10:00:13 mx3 exim[5151]: 2026-11-23 10:00:13 [5151] 1wQx7H-0004Ai-Op => lea@example.com R=dnslookup T=remote_smtp H=mx.example.com [203.0.113.5]",
        expect: ["host": "mx3", "time": "2026-11-23T10:00:13Z", "recipient": "lea@example.com"]),
    ScanCase(
        line: "Nov 23 10:00:14 mx3 exim[5152]: 1wQx7H-0004Ai-Op ** lea@example.com R=dnslookup T=remote_smtp H=mx.example.com [203.0.113.5]: SMTP error from remote mail server after RCPT TO:<lea@example.com>: 550 5.1.1 no",
        expect: ["host": "mx3", "time": "2026-11-23T10:00:14Z", "status": "bounced"]),
    ScanCase(
        line: "2026-11-23 10:00:15 1wQx7I-0004Aj-Qr ** \"odd name\"@example.net <\"Odd Name\"@Example.NET> R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<\"odd name\"@example.net>: 550 5.1.1 No such user",
        expect: ["recipient": "\"odd name\"@example.net", "original_recipient": nil, "smtp_code": "550"]),
    ScanCase(
        line: "2026-11-23 10:00:00 1wQx7A-0004Ab-Cd <= news@example.org H=app1.example.org [10.0.0.5] P=esmtpsa S=4821",
        expect: [:]),
    ScanCase(line: "2026-11-23 10:00:02 1wQx7A-0004Ab-Cd Completed", expect: [:]),
]

@Suite struct EximScannerTests {
    @Test(arguments: eximCases)
    func deliveryLinesGiveTheirFields(_ c: ScanCase) throws {
        try c.check(format: .exim)
    }

    @Test func autoDetectionPicksEachFormatPerInput() throws {
        #expect(try scanRows(eximCases[0].line, format: .auto).first?["mta"] == "exim")
        #expect(try scanRows(postfixCases[0].line, format: .auto).first?["mta"] == "postfix")
        // A Postfix scanner forced on an Exim log finds nothing, and the other way round.
        #expect(try scanRows(eximCases[0].line, format: .postfix).isEmpty)
        #expect(try scanRows(postfixCases[0].line, format: .exim).isEmpty)
    }
}

/// One text rule: a phrase (matched anywhere, ignoring case) and what it means.
public struct TextRule: Sendable {
    public let phrase: String
    public let reason: BounceReason
    public var yields = Yield.never

    /// Which codes a phrase gives way to, beyond the weighing of reasons (`OutcomeClassifier`).
    public enum Yield: Sendable {
        case never
        /// Words that report how one connection failed ("Connection refused", "lost connection"): under a code
        /// that says the queue lifetime ran out (`4.4.7`, `4.4.1`) they are what kept failing.
        case toExpiry
        /// Words of a cause that the reference knows only in a few set phrases ("Account is locked" as against
        /// "has been suspended"): a code that names a cause (`5.1.1`) decides; alone they still do.
        case toNamedCause
    }
}

/// The phrases of real bounce texts, most decisive first: when several match, the earliest wins.
///
/// Sources: the wording of the large receivers (Gmail, Microsoft, Yahoo/AOL, iCloud, GMX/web.de, Orange,
/// Mail.ru, Yandex, Zoho, Japanese carriers), filtering gateways (Proofpoint, Mimecast, Barracuda), DNS blocklists,
/// mailing-list managers, and the MTAs' own texts (Postfix, Exim, Sendmail, qmail, Exchange, Domino). Sender-side
/// phrases come before recipient-side ones, so a recipient is not blamed for a block that names our IP, DMARC or
/// our content even when the server used a 5.1.1 code. Reasons are Sisimai 4's: SPF, DKIM and reverse-DNS
/// refusals and reputation blocks are `blocked`, DMARC policy refusals `policyviolation`, rate limits
/// `toomanyconn`.
enum TextRules {
    private static func group(_ reason: BounceReason, _ phrases: [String]) -> [TextRule] {
        phrases.map { TextRule(phrase: $0, reason: reason) }
    }

    /// A connection's failure, which an expiry code outranks (`TextRule.Yield.toExpiry`).
    private static func connectionFailure(_ phrases: [String]) -> [TextRule] {
        phrases.map { TextRule(phrase: $0, reason: .networkerror, yields: .toExpiry) }
    }

    /// Phrases that give way to a code naming a cause (`TextRule.Yield.toNamedCause`).
    private static func yielding(_ reason: BounceReason, _ phrases: [String]) -> [TextRule] {
        phrases.map { TextRule(phrase: $0, reason: reason, yields: .toNamedCause) }
    }

    static let all: [TextRule] =
        // qmail says which step failed before it quotes the remote words: "Connected to 192.0.2.1 but sender was
        // rejected." is our sender refused at MAIL FROM, whatever the remote host went on to say.
        group(.rejected, ["but sender was rejected"])
        // DNS temporary failures read like "not found" but say "try again": networkerror before hostunknown.
        // Google's "DNS Error: ... lookup of X responded with code NXDOMAIN" is a lookup failure report, not a
        // verdict on the domain, unless it says the domain takes no mail (null MX).
        // A domain that takes mail, only not over IPv6, refuses our host (Microsoft's 5.7.510).
        + group(.blocked, ["accept email over ipv6", "accept mail over ipv6"])
        + group(.notaccept, ["null mx", "doesn't receive email", "does not receive email"])
        // Postfix's "Host or domain name not found. Name service error for name=X type=MX: Host not found, try
        // again" ends a delivery as an unknown domain: the reference reads it so.
        // Sendmail's "Host unknown (Name server: mx.example.net: host not found)" before "name server:" below.
        + group(.hostunknown, ["host or domain name not found", "host unknown (name server"])
        // Exim's "unrouteable mail domain" (a router that found no way to the domain, often a configured
        // `:fail:`) is read by the reference as a network problem, not as a domain that does not exist.
        + group(.networkerror, ["unrouteable mail domain", "host not found, try again", "host name lookup failure"])
        + connectionFailure([
            "temporary failure in name resolution", "dns lookup failure", "dns timeout", "dns error:", "name server:",
        ])
        // Greylisting: a deliberate first refusal, nobody's fault.
        + group(.onhold, ["greylist", "graylist", "grey-list", "gray-list", "greylisted", "domain is held"])
        // A group or list that takes posts from members only refuses the sender, not the address.
        + group(.rejected, [
            "groups.google.com/support", "the group you tried to contact", "not a member of this mailing list",
            "not a member of this list", "only members can post", "sending to/from an address that has been",
            "you are not allowed to post", "posting to this list",
        ])
        // DMARC: a failed check is our authentication (blocked); a refusal that cites the sender domain's
        // published policy is that policy applied (policyviolation), as the reference reads Gmail's 5.7.26.
        + group(.blocked, ["does not pass dmarc", "dmarc check failed"])
        + group(.policyviolation, [
            "due to domain's dmarc policy", "dmarc policy", "has a policy that prohibited",
            "potential security issue",
        ])
        // Sender authentication the receiver requires and did not get: Gmail's and Yahoo's "the sender is
        // unauthenticated", ARC, DKIM and From alignment, Microsoft's required authentication level, an SPF
        // "fail" verdict. The reference calls these security errors; an SPF record or PTR named as missing or
        // wrong stays a block of the sending host below.
        + group(.securityerror, [
            "sender is unauthenticated", "requires all senders to authenticate", "arc validation",
            "authentication didn't pass", "isn't aligned with", "not aligned with", "authentication level",
            "cannot authenticate", "spf fail", "spf check failed", "spf validation failed", "failed spf", "spf: fail",
        ])
        // Microsoft's refusals of the sender rather than the host: unregistered sender domains, senders a group
        // or organisation does not accept; Amazon SES's unverified identities.
        + group(.rejected, [
            "sending from unregistered domains", "delivery not authorized", "not authenticated by organization",
            "sendernotauthenticatedforgroup", "email address is not verified",
        ])
        // Orange's code 104 is too many connections from our IP, whatever its words ("Service refuse"): before the
        // blocks, which its other OFR codes are.
        + group(.toomanyconn, ["ofr004_104", "ofr005_104", "ofr_104"])
        // Gmail's old "The account or domain may not exist, they may be blacklisted, or missing the proper dns
        // entries" guesses at a block: what it knows is that the address was not found.
        + group(.userunknown, ["account or domain may not exist"])
        // Sender authentication (SPF, DKIM), reverse DNS, blocklists and reputation: the sending host is refused.
        + group(.blocked, [
            "dmarc", "sender policy framework", "not designated as permitted sender", "does not designate",
            "fails to pass spf", "spf record", "dkim signature", "dkim fail", "dkim verification failed",
            "no valid dkim", "unauthenticated email", "fails to pass authentication checks",
            "does not have authentication information",
            "sender authentication failed",
            "ptr record", "reverse dns", "rdns", "reverse lookup", "cannot find your hostname",
            "cannot find your reverse hostname", "client host rejected: cannot find your", "no ptr",
            "ipv6 sending guidelines", "does not resolve to", "reverse hostname",
            "blocked using", "blocklisted", "blacklisted", "block list", "blocklist", "blacklist", "spamhaus",
            "spamcop", "sorbs", "uceprotect", "barracudacentral", "barracuda reputation", "dnsbl", " rbl",
            "rbl ", "listed at", "listed on", "is listed in", "are listed in", "ip listed", "on our block",
            "ipcheck.proofpoint.com", "support.proofpoint.com/dnsbl", "[bl21]", "[bl22]", "[bl23]", "[ts01]",
            "[ts02]", "[ts03]", "(s3140)", "(s3150)", "banned sending ip", "(bl)",
            "not authorized to send email directly to our servers", "client host rejected", "client host blocked",
            "intrusion prevention", "connection refused by", "ip address is block", "ip blocked", "dynamic ip",
            "dynamic ips", "residential ip", "rtr:bl", "rtr:db", "dynt", "service refus", "adresse ip source",
            "ofr006", "ofr_506", "ofr004", "ofr_999", "helo command rejected", "invalid helo",
            "bad helo", "no smtp service", "connections not accepted", "connection not accepted",
            "not accepting connections", "network is on our", "ip temporarily blacklisted", "pps_block",
            "banned sender", "too many invalid recipients", "too many unknown recipients",
            "reputation", "unexpected volume or user complaints", "user complaints", "[tss04]", "[tss09]",
            "temporarily deferred due to", "unusual rate of unsolicited mail",
            "will not accept messages from servers", "your e-mail is redundant",
            // RFC 5321's 421 text said as a refusal of the connection (the reference reads it as a block).
            "service not available, closing transmission channel", "my name was rejected",
            // Cox's codes for a sending IP it blocks or finds on a DNS blocklist (IPBLnnnn), whatever the
            // reply's other words ("sender rejected").
            "aup#cxbl", "aup#cdrbl", "ipbl0", "ipbl1",
            // Barracuda's "permanent failure for one or more recipients (someone@example.com:blocked)".
            ":blocked)",
            // Our host's name is what was not found ("Your hostname could not be resolved", "HELO hostname ...").
            "your hostname", "client host name", "helo hostname", "helo host", "in helo", "helo is not",
            "helo name",
            // Not on the receiver's list of senders it takes ("IP not in whitelist", "not whitelisted").
            "whitelist",
        ])
        // A mailbox holding too much mail is full, not a rate ("too much mail" below).
        + group(.mailboxfull, ["too much mail stored", "disk quota exceeded"])
        // Sending too fast or too much, too many connections or recipients at once.
        + group(.toomanyconn, [
            "rate limit", "ratelimit", "rate-limit", "sending rate", "too many messages", "exceeded the rate",
            "rate exceeded", "unsolicitedratelimiterror", "unusual sending activity", "sending too fast",
            "too much mail", "message rate", "throttl", "sending quota", "too many connections",
            "too many concurrent", "connection limit", "too many sessions", "too many simultaneous",
            "trop de connexions", "too many recipients", "too many smtp sessions",
            "maximum connections", "(s3115)", "receiving mail at a rate", "receiving mail too quickly",
            "frequency limited", "exceeded threshold", "traffic not accepted from this ip",
        ])
        + group(.norelaying, [
            "relay access denied", "relaying denied", "relay not permitted", "not permitted to relay",
            "unable to relay", "relay denied", "we do not relay", "relaying not allowed", "not allowed to relay",
            "open relay not allowed", "relay not allowed", "relaying to", "not an open relay",
            "is not permitted to relay", "relay prohibited", "mail relay denied", "relaying mail to",
            // qmail's refusal of a domain it does not host: relaying, not an unknown domain.
            "isn't in my list of allowed rcpthosts",
            // MessageLabs: "you are trying to use me [...] as a relay, but I have not been configured to let you".
            "as a relay",
        ])
        + group(.rejected, [
            "sender address rejected", "sender rejected", "sender denied", "sender blocked", "blocked sender",
            "sender is blocked", "sender verify failed", "sender verification failed", "sender address does not exist",
            "invalid sender", "sender domain", "sender is not allowed", "bad sender", "mail from address",
            "manually blocked senders", "from address is not allowed", "sender address has null mx",
            "domain of sender address", "sender not allowed", "envelope blocked", "mailfrom domain",
            "sender unknown", "unknown sender", "administrative prohibition",
            // Words that say the refused address is our sender's, whatever they say of it ("Your domain does not
            // exist", "From address does not exist", "Unable to verify sender address: no such user"): never the
            // recipient's unknown address.
            "sender address", "your sender", "for sender", "verify sender", "is not a valid sender",
            "envelope sender", "in mail from", "your mail from", "from address", "your domain", "your address",
            "sender's address", "sender's domain", "sender's ip",
        ])
        + group(.securityerror, [
            "must issue a starttls", "tls is required", "starttls is required", "requires tls",
            "encryption required", "authentication required", "certificate verification failed",
            "tls session is required", "setting up tls", "dane error", "certificate", "tls session", "alpn",
            "ca constrain", "must authenticate", "not authenticated", "security policies", "security policy",
        ])
        // Message content.
        + group(.virusdetected, [
            "virus", "malware", "infected", "trojan", "worm", "malicious",
        ])
        + group(.spamdetected, [
            "spam", "unsolicited", "junk mail", "bulk mail", "dt:spm", "content filter", "scored too high",
            "message looks suspicious", "likely suspicious", "suspicious due to", "phishing", "intent analysis",
            "high probability of", "spam score", "advertising", "blacklisted url", "uribl", "surbl",
            "message content rejected", "mail content denied", "unacceptable content",
        ])
        + group(.mesgtoobig, [
            "message size exceeds", "message too large", "message is too large", "message too big",
            "message length exceeds", "size exceeds", "exceeds the maximum message size", "exceeds size limit",
            "message size limit", "too large for", "maximum message size", "mail size limit", "exceeded max size",
            "message exceeds", "size of the message", "too big", "mailsize limit",
        ])
        + group(.contenterror, [
            "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "rfc822", "bare lf", "bare linefeed",
            "not rfc compliant", "non-compliant", "duplicate header", "multiple from", "missing date header",
            "message-id header", "missing message-id",
            "content rejected", "message content", "invalid message content", "header rejected", "invalid header",
            "header is", "attachment", "8-bit", "8bit", "line too long", "lines too long", "utf8 support required",
            "invalid mime", "mime type", "content denied",
        ])
        + group(.policyviolation, [
            "policy reasons", "local policy", "policy violation", "policy restrictions", "policy rejection",
            "violates", "protocol violation", "[hm08]", "[cs01]", "[ph01]", "not accepted for policy", "due to policy", "denied by policy",
            "rejected by policy",
        ])
        // A full mailbox that a local delivery program reports ("Command died with status 1 ... procmail: Quota
        // exceeded while writing") is the mailbox, not the program.
        + group(.mailboxfull, ["quota exceeded", "over quota", "mailbox full", "mailbox is full", "disk quota"])
        // Local delivery programs and address syntax, before "does not exist" and "invalid recipient" read as
        // an unknown user.
        + group(.mailererror, [
            "mailer error", "unable to exec", "command does not exist", "child process of", "command died with status",
            "command time limit exceeded",
        ])
        + group(.syntaxerror, [
            "syntactically invalid", "bad address syntax", "address syntax", "invalid address syntax",
            "bad recipient address syntax", "malformed address", "fully-qualified address",
        ])
        // Refused by the recipient side's own filtering: Exim's `:fail:` redirections, per-user filters.
        + group(.filtered, [
            "(:fail:)", "recipient's filter", "recipient filter", "filtered by the recipient", "refused by recipient",
            "rejected by recipient", "due to recipient's policy", "recipient's policy",
            // "Recipient does not accept mail from this sender": the recipient's choice, not a domain without mail.
            "does not accept mail from",
        ])
        // "We do not accept mail from this address": our sender refused, not a domain that takes no mail.
        + group(.rejected, ["not accept mail from", "not accept email from", "not accepting mail from"])
        // A server that takes no mail for now is its own trouble, not a domain without mail.
        + group(.systemerror, ["not accepting mail at this time", "not accepting mail right now",
                               "temporarily not accepting mail"])
        // The recipient's address and mailbox. (RFC 5321's "551 User not local; please try <...>" is said as
        // often for a refused relay as for a moved user: it is left to its codes.)
        + group(.hasmoved, [
            "has moved to", "have moved to", "user has moved", "mailbox has moved", "recipient has moved",
            "address has moved", "addresses in this domain have moved", "no longer with", "no longer employed",
            "no longer works", "forwarding address", "has been moved", "mailbox owner has changed",
            "domain owner has changed",
        ])
        + group(.mailboxfull, [
            "mailbox size limit", "overquota", "exceeded storage allocation", "exceeds quota", "quota exceed",
            "out of storage space", "storage quota", "mailbox exceeds", "insufficient storage space",
            "user's mailbox is full",
            "boite du destinataire pleine", "full mailbox", "mailbox has exceeded", "no room", "quota",
            "mailfolder is full", "messages in recipient's mailbox exceeded",
            "exceeding their quota", "not enough disk space", "mailbox is over", "inbox is full",
        ])
        // A bare "size limit exceeded" is the message's size (a mailbox's is read just above).
        + group(.mesgtoobig, ["size limit exceeded"])
        // A suspended or disabled account: the reference's few set phrases decide over a 5.1.1 code; the many
        // other wordings of it ("Account is locked", "Account disabled") under 5.1.1 are read by the code, an
        // address that is gone for good (hard), and alone as a suspension (soft).
        + group(.suspend, [
            "has been suspended", "user suspended", "tried to reach is disabled", "disabled or discontinued",
            "mailbox is frozen", "this mailbox is disabled",
            // Facebook's RCP-T4 says it of the recipient under a 4.7.1 code that would read as a block of ours.
            "recipient account is unavailable",
        ])
        + yielding(.suspend, [
            "account disabled", "account is disabled", "account has been disabled", "mailbox disabled",
            "mailbox is disabled", "account suspended", "account is suspended", "account is inactive",
            "inactive account", "inactive mailbox", "has been deactivated", "account expired", "account has expired",
            "is locked", "account is locked", "user account disabled", "account has been blocked", "mailbox is blocked",
            "account is blocked", "temporarily disabled",
            "mailbox suspended", "account unavailable", "(554.30)", "user(s) account is disabled",
        ])
        + group(.exceedlimit, [
            "too many messages for this user",
            "exceeded the maximum number of messages", "recipient's daily limit",
        ])
        + group(.notaccept, [
            "does not accept mail", "does not accept email", "accepts no mail", "no mail service",
            "does not receive mail", "not accepting mail", "not accept mail", "indicated no smtp service",
        ])
        + group(.hostunknown, [
            "domain not found", "domain does not exist", "no such domain",
            "unrouteable address", "unroutable address", "unknown domain",
            "domain name not found", "non-existent hosts", "no mx record", "no mx or a", "host unknown",
            "domain is not valid", "invalid domain", "unknown host", "name or service not known",
            "no such host", "can't route by dns",
            "could not be resolved", "missing mx", "couldn't find any host", "illegal host/domain",
            "host/domain name", "domain may not exist",
            "domain name couldn't be found", "domain couldn't be found", "domain could not be found",
        ])
        + group(.userunknown, [
            "user unknown", "unknown user", "no such user", "user not found", "recipient not found",
            "no such recipient", "recipient unknown", "unknown recipient", "invalid recipient", "recipient invalid",
            "mailbox not found", "mailbox unavailable", "no mailbox here by that name", "no mailbox by that name",
            "mailbox does not exist",
            "address does not exist", "user does not exist", "user doesn't exist", "account does not exist",
            "no such mailbox", "unknown or illegal alias", "no such person", "does not exist",
            "doesn't have a", "not a valid mailbox", "invalid mailbox", "recipientnotfound", "recipnotfound",
            "invalid user", "recipient address rejected: access denied", "bad destination mailbox",
            "undeliverable address", "recipient does not exist", "address unknown", "cuda_nsu",
            "destinataire invalide", "not our customer", "no such account", "unknown address", "is not a valid",
            "user invalid", "unknown local part", "unknown mailbox", "mailbox unknown", "addressee unknown",
            "invalid address", "bad recipient", "no valid recipients",
            "user not known", "not a valid recipient", "not listed in", "user not exist", "doesn't exist", "address not found",
            "couldn't be found", "could not be found", "invalid final delivery userid", "no account by that name",
            "ディレクトリには見つかりません", "ディレクトリのリストにありません", "unable to deliver message to <",
            "mailbox has been closed", "mailbox is unavailable", "mailbox is inactive",
            "no longer accepts mail",
            // qmail's validrcptto patch: the address is not in its list of valid recipients.
            "validrcptto",
            // A bare "Address rejected." (Gmail's relayed 5.1.0, Exchange's sid=... replies): the address, not the
            // sender ("Sender address rejected" and "Recipient address rejected: <cause>" are read before).
            "address rejected.", "1 address rejected ",
        ])
        // Exim's "LMTP error after ...": the local LMTP server (the mail store) kept failing, whatever the
        // retries came to.
        + group(.systemerror, ["lmtp error after"])
        // The queue lifetime ran out: after the recipient-side reasons, so a mailbox that was full until the
        // end stays `mailboxfull`, and before the network and system reasons that kept failing.
        + group(.expired, [
            "retry timeout exceeded", "have been failing for a long time", "message expired", "delivery time expired",
            "too long in queue", "queue lifetime", "maximum time in queue", "message delayed",
            "retry time not reached for any host after a long failure period", "delivery expired",
            "message too old", "delivery attempts will continue", "not delivered within", "will be retried for",
            "has been delayed", "has been frozen", "after multiple retries",
            "could not find a gateway", "host not reachable", "delivery attempts:",
            "unable to deliver this message after", "did not respond in time", "didn't respond in time",
        ])
        // A connection that timed out: on a final failure that is the queue lifetime running out on a host
        // that never answered (the classifier reads it as networkerror on a deferral).
        // Postfix's "conversation with X timed out while sending ...": the host answered and then stalled, a
        // network failure of that session (an expiry code still outranks it).
        + connectionFailure(["timed out while"])
        + group(.expired, ["connection timed out", "smtp timeout", "timed out", "timeout"])
        // What a local delivery program said (Exim's "Command output:") is that program's failure, whatever
        // it failed to connect to; a full mailbox it reports is read above.
        + group(.mailererror, ["command output"])
        // The destination's own trouble: loops and routes the reference names whatever the code says, then how
        // a connection failed, which an expiry code outranks.
        + group(.networkerror, [
            "mail loop", "message looping", "routing loop", "hop count exceeded", "too many hops",
            "lowest numbered mx record points to local host", "forwarding loop", "is the local host",
            "maximum hop count", "no route to host",
            // qmail's own words for it, read as the network's whatever code its notice carries, and for an MX that
            // names it but is not set up to take the domain's mail.
            "establish an smtp connection", "listed as a best-preference mx",
        ])
        + connectionFailure([
            "connection refused", "network is unreachable", "lost connection",
            "conversation with", "connection reset", "connection closed", "closed connection",
            "lookup did not complete", "tls handshake", "unable to connect", "could not connect", "connection dropped",
            "broken pipe", "ssl_accept", "network error", "no answer from host", "no mx found",
        ])
        + group(.mailererror, [
            "returned 69", "child process", "transport returned", "pipe to |", "pipe to",
            "command not found", "exit code", "transport filter process failed", "unable to execute",
            "(generated from |", "child status", "procmail:",
        ])
        + group(.systemfull, [
            "insufficient system storage", "no space left", "disk full", "system full", "out of disk",
        ])
        // Our own host is a destination's MX or routes to itself: a configuration error, not the network.
        + group(.systemerror, [
            "loops back to myself", "local error in processing", "unknown mail transport error",
            "mail transport unavailable", "internal error", "system error", "queue file write error", "lock file",
            "duplicated message-id", "unable to contact ldap", "could not load drd",
        ])
        // qmail gives up with "I'm not going to try again; this message has been in the queue too long" after
        // what kept failing, which is the reason when the text names it (above); words that only say "later"
        // (below) do not name it: the queue lifetime ran out.
        + group(.expired, ["in the queue too long", "giving up on"])
        + group(.systemerror, [
            "temporary local problem", "local problem", "server busy", "currently unavailable", "come back later",
            "internal failure", "temporary failure", "server error", "try again later", "please try later",
            "temporarily unavailable", "resources are temporarily", "not available", "delivery failed",
            "local delivery failed",
        ])
        + group(.onhold, [
            "try again in", "please retry",
        ])
        // Gmail's notice ends the other server's words with the step its client was at: 17 and 18 are the
        // message itself, refused by the recipient's side after the address was taken. Last, so that any words
        // of the other server's that name a cause decide.
        + group(.filtered, ["(state 17)", "(state 18)"])
}

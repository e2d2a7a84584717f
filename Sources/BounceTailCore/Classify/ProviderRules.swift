/// Phrases that mean something particular from one provider (`MailProvider`, told by the relay's host): they
/// decide before the general table and the codes, as the provider's own error pages define them.
///
/// Sources: Google's "Gmail SMTP errors and codes", Microsoft's Exchange Online NDR reference, Tencent QQ's and
/// Mimecast's and Cox's published SMTP response codes.
enum ProviderRules {
    struct Rule: Sendable {
        let provider: MailProvider
        let phrase: String
        let reason: BounceReason
    }

    private static func group(_ provider: MailProvider, _ reason: BounceReason, _ phrases: [String]) -> [Rule] {
        phrases.map { Rule(provider: provider, phrase: $0, reason: reason) }
    }

    static let all: [Rule] =
        // Gmail: a connection closed at HELO with "try again later" is the DoS guard refusing our host; its DMARC
        // refusals name our authentication; its own temporary trouble and timeouts are its system's.
        group(.google, .blocked, ["try again later, closing connection", "due to domain's dmarc policy"])
        + group(.google, .systemerror, ["temporary system problem", "temporarily rejected message"])
        + group(.google, .toomanyconn, ["multiple destination domains per transaction"])
        + group(.google, .expired, ["timeout - closing connection"])
        + group(.google, .rejected, ["unauthenticated email is not accepted from this domain"])
        + group(.google, .networkerror, ["hops, this may indicate a mail loop"])
        // Exchange Online: a domain its DNS lookup did not find is a routing failure (5.4.4), and a domain it
        // accepts but cannot route (5.4.310, InfoDomainNonexistent) a relay refusal; neither judges the address.
        + group(.microsoft, .networkerror, ["smtpsend.dns.nonexistentdomain"])
        + group(.microsoft, .norelaying, ["infodomainnonexistent"])
        // QQ answers its per-sender limits with "mailbox unavailable or access denied" (code 1000711).
        + group(.qq, .toomanyconn, ["mailbox unavailable or access denied"])
        // Mimecast's "rejected due to security policies" is its virus and attachment scanning.
        + group(.mimecast, .virusdetected, ["rejected due to security policies"])
        // Cox answers an address it does not have with a bare "recipient rejected".
        + group(.cox, .userunknown, ["recipient rejected"])
}

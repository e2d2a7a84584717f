/// Why a delivery failed, in the reason vocabulary of Sisimai 4 (the de-facto standard for bounce reasons, and the
/// version Debian ships), so that verdicts compare one to one with it.
public enum BounceReason: UInt8, Sendable, CaseIterable {
    case delivered, userunknown, hostunknown, hasmoved, mailboxfull, exceedlimit, mesgtoobig, filtered, rejected,
        blocked, spamdetected, virusdetected, contenterror, policyviolation, securityerror, toomanyconn, norelaying,
        notaccept, suspend, syntaxerror, systemerror, systemfull, networkerror, mailererror, expired, onhold,
        undefined

    /// The name (reflection, which `String(describing:)` uses, is slow: the names are made once).
    public var name: String { Self.names[Int(rawValue)] }
    private static let names: [String] = allCases.map { String(describing: $0) }
    /// The names as bytes, by raw value (the JSON writer appends them without building a String).
    static let nameBytes: [[UInt8]] = allCases.map { Array($0.name.utf8) }

    public init?(name: String) {
        if let r = Self.allCases.first(where: { $0.name == name }) {
            self = r
        } else if let r = Self.sisimai5Names[name] {
            self = r
        } else {
            return nil
        }
    }

    /// Sisimai 5's finer names (which earlier versions of bouncetail wrote too) and the Sisimai 4 reason each
    /// falls under, so events and states written with them still read.
    static let sisimai5Names: [String: BounceReason] = [
        "authfailure": .blocked, "badreputation": .blocked, "requireptr": .blocked, "speeding": .toomanyconn,
        "notcompliantrfc": .contenterror,
    ]
}

/// Hard: the address itself is permanently bad. Soft: anything temporary or not about the address.
public enum BounceKind: UInt8, Sendable {
    case hard, soft
    public var name: StaticString { self == .hard ? "hard" : "soft" }
}

/// Whose problem the failure is: it decides whether it may count against the recipient.
public enum Fault: UInt8, Sendable, CaseIterable {
    case recipient, sender, message, network, unknown
    public var name: String { Self.names[Int(rawValue)] }
    private static let names: [String] = allCases.map { String(describing: $0) }
    static let nameBytes: [[UInt8]] = allCases.map { Array($0.name.utf8) }
}

/// The classifier's verdict on one failed outcome.
public struct Classification: Equatable, Sendable {
    public var reason: BounceReason
    public var bounce: BounceKind
    public var fault: Fault
    /// Index of the text rule that matched (-1: none), for `explain`.
    public var rule: Int
    /// Index into `DomainTypos.providers` when the recipient's domain looks like a typo of it (-1: none).
    public var suggestion: Int

    public init(reason: BounceReason, bounce: BounceKind, fault: Fault, rule: Int, suggestion: Int = -1) {
        self.reason = reason
        self.bounce = bounce
        self.fault = fault
        self.rule = rule
        self.suggestion = suggestion
    }
}

/// Writes one outcome as one line of JSON: the `scan` output contract (docs/FORMAT.md, version 1).
///
/// Keys are always present, in this order; unknown values are null:
/// `type time mta host queue_id recipient original_recipient status dsn smtp_code relay diagnostic bounce
/// reason fault file line`, plus `suggestion` after `fault` when the classifier has one.
public enum OutcomeJSON {
    public static func append(_ o: DeliveryOutcome, file: [UInt8], to j: inout JSONBuffer) {
        let l = o.bytes
        j.raw("{\"type\":\"outcome\",\"time\":\"")
        o.time.appendRFC3339(to: &j.bytes)
        j.raw("\",\"mta\":\"")
        j.raw(o.mta.name)
        j.raw("\",\"host\":")
        j.optionalString(l, o.host)
        j.raw(",\"queue_id\":")
        j.string(l, o.queueID)
        j.raw(",\"recipient\":")
        j.string(l, o.recipient, lowercase: true)
        j.raw(",\"original_recipient\":")
        j.optionalString(l, o.originalRecipient, lowercase: true)
        j.raw(",\"status\":\"")
        j.raw(o.status.name)
        j.raw("\",\"dsn\":")
        if let d = o.dsn {
            j.byte(ASCII.quote)
            j.int(Int(d.klass))
            j.byte(ASCII.dot)
            j.int(Int(d.subject))
            j.byte(ASCII.dot)
            j.int(Int(d.detail))
            j.byte(ASCII.quote)
        } else {
            j.null()
        }
        j.raw(",\"smtp_code\":")
        if o.smtpCode > 0 { j.int(o.smtpCode) } else { j.null() }
        j.raw(",\"relay\":")
        j.optionalString(l, o.relay)
        j.raw(",\"diagnostic\":")
        j.optionalString(l, o.diagnostic)
        if let c = o.classification {
            j.raw(",\"bounce\":\"")
            j.raw(c.bounce.name)
            j.raw("\",\"reason\":\"")
            j.bytes += BounceReason.nameBytes[Int(c.reason.rawValue)]
            j.raw("\",\"fault\":\"")
            j.bytes += Fault.nameBytes[Int(c.fault.rawValue)]
            j.byte(ASCII.quote)
        } else {
            j.raw(",\"bounce\":null,\"reason\":null,\"fault\":null")
        }
        if let c = o.classification, c.suggestion >= 0, let at = ByteSearch.last(ASCII.at, in: l, o.recipient) {
            // The same local part at the provider the domain was probably meant to be.
            j.raw(",\"suggestion\":")
            var text = ByteKey.lowered(l, o.recipient.lowerBound..<(at + 1))
            text += Array(DomainTypos.providers[c.suggestion].utf8)
            text.withUnsafeBufferPointer { j.string($0, 0..<$0.count) }
        }
        j.raw(",\"file\":")
        file.withUnsafeBufferPointer { j.string($0, 0..<$0.count) }
        j.raw(",\"line\":")
        j.int(o.line)
        j.raw("}\n")
    }
}

import CBytes

/// Reads mail addresses as logs print them: `<local@domain>`, bare `local@domain`, and quoted local parts
/// that may hold spaces, commas, `<`, `>` or escaped quotes (`<"john, >doe"@example.net>`).
enum AddressField {
    /// Parses `<...>` starting at `i` (which holds `<`). Returns the inside range and the index after `>`.
    /// Quoted parts are skipped whole, so a `>` inside quotes does not end the address.
    static func bracketed(_ l: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> (Range<Int>, Int)? {
        guard i < end, l[i] == ASCII.lessThan, let base = l.baseAddress else { return nil }
        let j = bouncetail_bracket_end(base, i, end)
        guard j >= 0 else { return nil }
        return ((i + 1)..<j, j + 1)
    }

    /// A bare value up to `, ` (Postfix field separator) or the end of the line.
    static func bare(_ l: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Range<Int> {
        guard i < end, let base = l.baseAddress else { return i..<max(i, end) }
        return i..<bouncetail_field_end(base, i, end)
    }

    /// Whether the bytes look like an address (an `@` and no pipe, file or `:fail:` prefix).
    static func isAddress(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard let first = r.first.map({ l[$0] }) else { return false }
        if first == ASCII.pipe || first == ASCII.slash || first == ASCII.colon || first == ASCII.greaterThan {
            return false
        }
        return ByteSearch.first(ASCII.at, in: l, r) != nil
    }
}

/// The syslog part in front of a program's message: time stamp, host, and program tag.
enum SyslogHeader {
    /// Reads the stamp and host in front of the tag that starts at `tagStart`. The stamp is searched for
    /// from the start of the line, so prefixes such as `mail_1  | ` or a JSON wrapper are skipped.
    static func stampAndHost(_ l: UnsafeBufferPointer<UInt8>, tagStart: Int) -> (LogStamp, Range<Int>?)? {
        guard let stamp = LogStamp.find(l, from: 0, limit: tagStart) else { return nil }
        var a = stamp.end
        while a < tagStart, l[a] == ASCII.space { a += 1 }
        var b = tagStart
        while b > a, l[b - 1] == ASCII.space { b -= 1 }
        guard a < b else { return (stamp, nil) }
        // One token only: the host name. Anything with spaces is not a host.
        if ByteSearch.first(ASCII.space, in: l, a..<b) != nil { return (stamp, nil) }
        return (stamp, a..<b)
    }
}

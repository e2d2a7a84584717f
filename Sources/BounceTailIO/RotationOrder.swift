/// Puts the files of rotated log sets in the order they were written: oldest first.
///
/// `mail.log.3.gz mail.log.2.gz mail.log.1 mail.log` (logrotate's numbering, Exim's `mainlog.01`), and
/// `mail.log-20261101.gz mail.log-20261108 mail.log` (logrotate `dateext`), `maillog.20261123-101500.gz maillog`
/// (`postfix logrotate`), in any order on the command line.
/// Files are grouped by their base name (suffixes stripped); groups keep the order of their first
/// appearance; inside a group higher numbers come first, then dates in ascending order, then the live file.
public enum RotationOrder {
    struct Key {
        var base: String
        /// 0: numbered (older with a higher number), 1: dated, 2: the live file.
        var rank: Int
        var number: Int
        var date: String
    }

    static func key(_ path: String) -> Key {
        var name = path
        if name.hasSuffix(".gz") { name.removeLast(3) }
        // `.N` (logrotate) or `.0N` (exicyclog)
        if let dot = name.lastIndex(of: "."), let n = Int(name[name.index(after: dot)...]),
            !name[name.index(after: dot)...].isEmpty, name[name.index(after: dot)...].allSatisfy(\.isNumber)
        {
            return Key(base: String(name[..<dot]), rank: 0, number: n, date: "")
        }
        // `.YYYYMMDD-HHMMSS` (`postfix logrotate`)
        if let dot = name.lastIndex(of: ".") {
            let tail = name[name.index(after: dot)...]
            let parts = tail.split(separator: "-")
            if parts.count == 2, parts[0].count == 8, parts[1].count == 6, tail.allSatisfy({ $0.isNumber || $0 == "-" }) {
                return Key(base: String(name[..<dot]), rank: 1, number: 0, date: String(tail))
            }
        }
        // `-YYYYMMDD` with optional `-HH` / `HH` (dateext)
        if let dash = name.lastIndex(of: "-") {
            let tail = name[name.index(after: dash)...]
            if tail.count >= 8, tail.allSatisfy(\.isNumber) {
                return Key(base: String(name[..<dash]), rank: 1, number: 0, date: String(tail))
            }
        }
        return Key(base: name, rank: 2, number: 0, date: "")
    }

    public static func oldestFirst(_ paths: [String]) -> [String] {
        var groupOrder: [String: Int] = [:]
        let keyed = paths.enumerated().map { (index, p) -> (Int, Key, String) in
            let k = key(p)
            if groupOrder[k.base] == nil { groupOrder[k.base] = groupOrder.count }
            return (index, k, p)
        }
        return keyed.sorted { a, b in
            let ga = groupOrder[a.1.base]!
            let gb = groupOrder[b.1.base]!
            if ga != gb { return ga < gb }
            if a.1.rank != b.1.rank { return a.1.rank < b.1.rank }
            if a.1.rank == 0, a.1.number != b.1.number { return a.1.number > b.1.number }
            if a.1.rank == 1, a.1.date != b.1.date { return a.1.date < b.1.date }
            return a.0 < b.0
        }.map(\.2)
    }
}

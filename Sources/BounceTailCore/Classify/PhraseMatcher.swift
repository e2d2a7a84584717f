/// Finds which of many phrases occur in a text, in one pass, ignoring ASCII case (Aho–Corasick).
///
/// Built once from the rule table. Bytes are first mapped to a small alphabet (the distinct lower-cased bytes
/// of all phrases, everything else one "other" class), so the transition table stays small (states × classes
/// of UInt16) and the scan is one table lookup per byte, no allocation.
public struct PhraseMatcher: Sendable {
    private let classOf: [UInt8]  // 256 entries: byte → class
    private let classCount: Int
    private let next: [UInt16]  // state * classCount + class → state
    /// For each state, the lowest phrase index that ends there or at any of its suffix states (or .max).
    private let best: [Int32]

    public init(_ phrases: [String]) {
        var classes = [UInt8](repeating: 0, count: 256)
        var count = 1
        for p in phrases {
            for b in p.utf8 {
                let l = ASCII.lower(b)
                if classes[Int(l)] == 0 {
                    classes[Int(l)] = UInt8(count)
                    count += 1
                }
            }
        }
        for b in 0..<256 where ASCII.isUpper(UInt8(b)) { classes[b] = classes[Int(ASCII.lower(UInt8(b)))] }
        precondition(count < 256)
        // Trie.
        var goto: [[Int]] = [[Int](repeating: -1, count: count)]
        var output: [Int32] = [.max]
        for (index, p) in phrases.enumerated() {
            var s = 0
            for b in p.utf8 {
                let c = Int(classes[Int(ASCII.lower(b))])
                if goto[s][c] < 0 {
                    goto[s][c] = goto.count
                    goto.append([Int](repeating: -1, count: count))
                    output.append(.max)
                }
                s = goto[s][c]
            }
            output[s] = min(output[s], Int32(index))
        }
        precondition(goto.count < Int(UInt16.max))
        // Failure links, breadth first; turn the trie into a full automaton.
        var fail = [Int](repeating: 0, count: goto.count)
        var table = [UInt16](repeating: 0, count: goto.count * count)
        var queue: [Int] = []
        for c in 0..<count {
            let t = goto[0][c]
            if t > 0 {
                fail[t] = 0
                queue.append(t)
                table[c] = UInt16(t)
            }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            output[s] = min(output[s], output[fail[s]])
            for c in 0..<count {
                let t = goto[s][c]
                if t > 0 {
                    fail[t] = Int(table[fail[s] * count + c])
                    queue.append(t)
                    table[s * count + c] = UInt16(t)
                } else {
                    table[s * count + c] = table[fail[s] * count + c]
                }
            }
        }
        classOf = classes
        classCount = count
        next = table
        best = output
    }

    /// The lowest index of a phrase found in `l[r]`, or nil.
    public func firstRule(in l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var found = Int32.max
        var s = 0
        next.withUnsafeBufferPointer { table in
            best.withUnsafeBufferPointer { best in
                classOf.withUnsafeBufferPointer { classOf in
                    for i in r {
                        s = Int(table[s * classCount + Int(classOf[Int(l[i])])])
                        let o = best[s]
                        if o < found { found = o }
                    }
                }
            }
        }
        return found == .max ? nil : Int(found)
    }
}

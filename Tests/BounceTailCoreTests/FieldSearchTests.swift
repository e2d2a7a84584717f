@testable import BounceTailCore
import CBytes
import BounceTailTestSupport
import Testing

/// The field searches look at 16 bytes at a time; these compare them with the rules read one byte at a time,
/// on strings dense in the bytes that matter, from every start, so matches fall on both sides of each block.
@Suite struct FieldSearchTests {
    /// `, ` (or a final `,`) outside double quotes ends a bare value.
    func bareByBytes(_ l: [UInt8], _ i: Int, _ end: Int) -> Int {
        var inQuote = false
        var j = i
        while j < end {
            if l[j] == ASCII.quote { inQuote.toggle() }
            else if !inQuote, l[j] == ASCII.comma, j + 1 == end || l[j + 1] == ASCII.space { return j }
            j += 1
        }
        return max(i, end)
    }

    /// The first `>` outside quotes closes `<...>`; inside quotes a backslash escapes the next byte.
    func bracketByBytes(_ l: [UInt8], _ i: Int, _ end: Int) -> Int? {
        var inQuote = false
        var j = i + 1
        while j < end {
            let b = l[j]
            if inQuote {
                if b == ASCII.backslash { j += 2; continue }
                if b == ASCII.quote { inQuote = false }
            } else if b == ASCII.quote {
                inQuote = true
            } else if b == ASCII.greaterThan {
                return j
            }
            j += 1
        }
        return nil
    }

    @Test func searchesAgreeWithTheByteRules() {
        var rng = SplitMix64(state: 7)
        let alphabet = Array("ab ,\"\\><@.".utf8)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 90)
            var l = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if n > 0 { l[0] = ASCII.lessThan }
            l.withUnsafeBufferPointer { b in
                for i in 0..<max(n, 1) {
                    for end in Set([n, max(i, n - 1), min(n, i + 17)]) where end >= i {
                        #expect(AddressField.bare(b, at: i, end: end).upperBound == bareByBytes(l, i, end))
                        guard i < end, l[i] == ASCII.lessThan else { continue }
                        let got = AddressField.bracketed(b, at: i, end: end)
                        let want = bracketByBytes(l, i, end)
                        #expect(got?.0 == want.map { (i + 1)..<$0 })
                        #expect(got?.1 == want.map { $0 + 1 })
                    }
                }
            }
        }
    }

    /// The run of letters and digits before a queue id's colon, read back 16 bytes at a time.
    @Test func alnumRunsAgreeWithTheByteRule() {
        var rng = SplitMix64(state: 5)
        let alphabet = Array("aZ09 :[]/\u{7f}`{@".utf8) + [0x80, 0xC3, 0xFF, 0x2F, 0x3A, 0x40, 0x5B, 0x60, 0x7B]
        for _ in 0..<2000 {
            let n = Int(rng.next() % 70)
            let l = (0..<n).map { _ in
                rng.next() % 3 == 0 ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : Array("aB3".utf8)[Int(rng.next() % 3)]
            }
            l.withUnsafeBufferPointer { b in
                for end in 0...n {
                    for lo in Set([0, end / 2, max(0, end - 1)]) {
                        var want = end
                        while want > lo, ASCII.isAlnum(l[want - 1]) { want -= 1 }
                        #expect(bouncetail_alnum_run_start(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, lo, end) == want)
                    }
                }
            }
        }
    }
}

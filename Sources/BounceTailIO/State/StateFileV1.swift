#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// Reads a version 1 state (`state.jsonl`, one JSON Lines file rewritten whole at every commit) so that it
/// can be imported into the database once (docs/STATE.md, "Upgrading").
enum StateFileV1 {
    /// Loads the state into `ledger` and `inFlight`; nil when the directory has no state yet.
    static func load(_ path: String, into ledger: BounceLedger, inFlight: inout InFlightMessages) throws
        -> (state: TrackState, pending: [SuppressionDelta])
    {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw StateError(message: "\(path): cannot read state file: \(errnoText())") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard let data = try? handle.readToEnd() ?? Data() else {
            throw StateError(message: "\(path): cannot read state file: \(errnoText())")
        }
        var state = TrackState()
        var pending: [SuppressionDelta] = []
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var sawHeader = false
        var sawEnd = false
        var records = 0
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            if raw.isEmpty {
                if index == lines.count - 1 { continue }
                throw corrupt(path, number, "empty line")
            }
            guard !sawEnd else { throw corrupt(path, number, "data after the end record") }
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any],
                let type = obj["type"] as? String
            else { throw corrupt(path, number, "not a JSON object with a type") }
            if !sawHeader {
                guard type == "bouncetail-state" else { throw corrupt(path, number, "missing header") }
                guard (obj["version"] as? Int) == 1 else {
                    throw corrupt(path, number, "unsupported state version \(obj["version"] ?? "none")")
                }
                guard let seq = obj["last_seq"] as? Int, let run = obj["run"] as? Int, seq >= 0, run >= 0 else {
                    throw corrupt(path, number, "header without last_seq/run")
                }
                ledger.restore(lastSeq: UInt64(seq))
                state.run = run
                sawHeader = true
                continue
            }
            records += 1
            do {
                switch type {
                case "input": state.inputs.append(try Self.input(obj))
                case "recipient":
                    let (key, r) = try Self.recipient(obj)
                    ledger.restore(recipient: key, r)
                case "pair":
                    let key = try Self.bytes(obj, "host") + [0] + (try Self.bytes(obj, "queue_id")) + [0]
                        + (try Self.bytes(obj, "recipient"))
                    ledger.restore(pairKey: key, .init(countedHard: try Self.value(obj, "hard") as Bool,
                                                       lastSeen: Int64(try Self.value(obj, "last_seen") as Int)))
                case "message":
                    let key = try Self.bytes(obj, "host") + [0] + (try Self.bytes(obj, "queue_id"))
                    let list = try Self.value(obj, "pending") as [[String: Any]]
                    let pending = try list.map {
                        InFlightMessages.Pending(
                            recipient: try Self.bytes($0, "recipient"),
                            original: $0["original"] is NSNull || $0["original"] == nil ? nil : try Self.bytes($0, "original"),
                            dsn: ($0["dsn"] as? String).flatMap(Self.dsn))
                    }
                    inFlight.restore(key: key, pending: pending, lastSeen: Int64(try Self.value(obj, "last_seen") as Int))
                case "pending":
                    pending.append(try Self.delta(try Self.value(obj, "delta")))
                case "end":
                    guard (obj["records"] as? Int) == records - 1 else {
                        throw StateError(message: "end record counts \(obj["records"] ?? "?") records, file has \(records - 1)")
                    }
                    sawEnd = true
                default:
                    throw StateError(message: "unknown record type '\(type)'")
                }
            } catch let e as StateError {
                throw corrupt(path, number, e.message)
            }
        }
        guard sawHeader else { throw corrupt(path, 1, "empty state file") }
        guard sawEnd else { throw corrupt(path, lines.count, "state file ends early (no end record)") }
        return (state, pending)
    }

    private static func corrupt(_ path: String, _ line: Int, _ why: String) -> StateError {
        StateError(message: "\(path):\(line): corrupt state file: \(why); not imported and not changed — repair it, or move it away to start afresh")
    }

    // MARK: - Field helpers

    /// A key as a JSON string when it is UTF-8 (as nearly always), else as hex under `NAME_hex`.
    static func bytes(_ obj: [String: Any], _ name: String) throws -> [UInt8] {
        if let s = obj[name] as? String { return Array(s.utf8) }
        if let h = obj[name + "_hex"] as? String, h.count % 2 == 0 {
            var out: [UInt8] = []
            var it = h.makeIterator()
            while let a = it.next(), let b = it.next() {
                guard let v = UInt8(String([a, b]), radix: 16) else { throw StateError(message: "bad hex in \(name)_hex") }
                out.append(v)
            }
            return out
        }
        throw StateError(message: "missing \(name)")
    }

    static func value<T>(_ obj: [String: Any], _ name: String) throws -> T {
        guard let v = obj[name] as? T else { throw StateError(message: "missing or mistyped \(name)") }
        return v
    }

    static func instant(_ obj: [String: Any], _ name: String) throws -> Instant? {
        if obj[name] == nil || obj[name] is NSNull { return nil }
        guard let s = obj[name] as? String, let t = Instant(rfc3339: s) else {
            throw StateError(message: "bad time in \(name)")
        }
        return t
    }

    static func dsn(_ s: String) -> DSN? {
        Array(s.utf8).withUnsafeBufferPointer { DSN.parse($0, at: 0, end: $0.count)?.0 }
    }

    static func input(_ o: [String: Any]) throws -> InputRecord {
        guard let hh = UInt64(try value(o, "head_hash") as String, radix: 16),
            let th = UInt64(try value(o, "tail_hash") as String, radix: 16)
        else { throw StateError(message: "bad hash in input record") }
        let offset: Int = try value(o, "offset")
        let headLength: Int = try value(o, "head_length")
        let tailLength: Int = try value(o, "tail_length")
        let line: Int = try value(o, "line")
        guard offset >= 0, line >= 0, (0...InputRecord.maxHeadLength).contains(headLength),
            (0...InputRecord.maxTailLength).contains(tailLength), tailLength <= offset
        else { throw StateError(message: "input record with an offset, line or length out of range") }
        return InputRecord(
            headHash: hh, headLength: headLength, offset: UInt64(offset), line: line, tailHash: th,
            tailLength: tailLength, name: try value(o, "name"), run: try value(o, "run"))
    }

    static func recipient(_ o: [String: Any]) throws -> ([UInt8], BounceLedger.Recipient) {
        var r = BounceLedger.Recipient()
        r.hard = try value(o, "hard")
        r.soft = try value(o, "soft")
        guard (0...BounceLedger.Recipient.maxCounter).contains(r.hard), (0...BounceLedger.Recipient.maxCounter).contains(r.soft)
        else { throw StateError(message: "counter out of range") }
        r.firstBounce = try instant(o, "first_bounce")
        r.lastBounce = try instant(o, "last_bounce")
        r.softSince = try instant(o, "soft_since")
        r.lastReason = (o["last_reason"] as? String).flatMap(BounceReason.init(name:))
        r.suppressed = try value(o, "suppressed")
        r.suppressedAt = try instant(o, "suppressed_at")
        r.until = try instant(o, "until")
        r.suppressReason = o["suppress_reason"] as? String
        r.suppressWhy = (o["suppress_why"] as? String).flatMap(SuppressionDelta.Why.init(rawValue:))
        return (try bytes(o, "recipient"), r)
    }

    static func delta(_ o: [String: Any]) throws -> SuppressionDelta {
        guard let action = SuppressionDelta.Action(rawValue: try value(o, "action")),
            let why = SuppressionDelta.Why(rawValue: try value(o, "why")),
            let time = try instant(o, "time")
        else { throw StateError(message: "bad pending delta") }
        let seq: Int = try value(o, "seq")
        guard seq > 0 else { throw StateError(message: "pending delta with seq \(seq)") }
        return SuppressionDelta(
            seq: UInt64(seq), time: time, action: action, recipient: try bytes(o, "recipient"),
            why: why, reason: o["reason"] as? String, hard: try value(o, "hard"), soft: try value(o, "soft"),
            firstBounce: try instant(o, "first_bounce"), lastBounce: try instant(o, "last_bounce"),
            until: try instant(o, "until"), file: (o["file"] as? String).map { Array($0.utf8) }, line: o["line"] as? Int)
    }
}

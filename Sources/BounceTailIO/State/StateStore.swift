#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// What `track` remembers about one input it has read: recognised by content, not by name.
public struct InputRecord: Equatable, Sendable {
    /// Hash and length of the first bytes of the (decompressed) content.
    public var headHash: UInt64
    public var headLength: Int
    /// Bytes and lines consumed (complete lines only).
    public var offset: UInt64
    public var line: Int
    /// Hash and length of the bytes just before `offset`, to notice content rewritten under the same head.
    public var tailHash: UInt64
    public var tailLength: Int
    /// The name it was last read under (for people; identity is the content).
    public var name: String
    /// The run that last saw it (old records are forgotten).
    public var run: Int
}

/// Everything a state directory holds besides the live ledger and in-flight tables.
public struct TrackState: Sendable {
    public var run = 0
    public var inputs: [InputRecord] = []
    /// Deltas made but perhaps not yet written out: the write-ahead part of a commit.
    public var pending: [SuppressionDelta] = []
    public init() {}
}

/// Errors about the state directory: every one names the file.
public struct StateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The state directory: `state.jsonl` (docs/STATE.md) and a lock so two processes never share it.
public final class StateStore {
    public let directory: String
    public var statePath: String { directory + "/state.jsonl" }
    private var lockFD: Int32 = -1
    static let version = 1

    /// Opens (creating if needed) and locks the directory.
    public init(directory: String) throws {
        self.directory = directory
        var st = stat()
        if stat(directory, &st) != 0 {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                throw StateError(message: "\(directory): cannot create state directory: \(errnoText())")
            }
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            throw StateError(message: "\(directory): not a directory")
        }
        let lockPath = directory + "/lock"
        lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw StateError(message: "\(lockPath): cannot open lock file: \(errnoText())") }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            close(lockFD)
            lockFD = -1
            throw StateError(
                message: "\(directory): state directory is in use by another bouncetail process (lock held on \(lockPath))")
        }
    }

    deinit { if lockFD >= 0 { close(lockFD) } }

    // MARK: - Loading

    /// Loads the state into `ledger` and `inFlight`; nil when the directory has no state yet.
    public func load(into ledger: BounceLedger, inFlight: inout InFlightMessages) throws -> TrackState? {
        let path = statePath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StateError(message: "\(path): cannot read state file: \(errnoText())")
        }
        var state = TrackState()
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
                guard (obj["version"] as? Int) == Self.version else {
                    throw corrupt(path, number, "unsupported state version \(obj["version"] ?? "none")")
                }
                guard let seq = obj["last_seq"] as? Int, let run = obj["run"] as? Int else {
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
                    state.pending.append(try Self.delta(try Self.value(obj, "delta")))
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
        return state
    }

    private func corrupt(_ path: String, _ line: Int, _ why: String) -> StateError {
        StateError(message: "\(path):\(line): corrupt state file: \(why); not changed — repair or remove it to start afresh")
    }

    // MARK: - Saving

    /// Writes the whole state atomically (new file, fsync, rename, fsync directory).
    public func save(_ state: TrackState, ledger: BounceLedger, inFlight: InFlightMessages) throws {
        var j = JSONBuffer(capacity: 1 << 16)
        j.raw("{\"type\":\"bouncetail-state\",\"version\":1,\"last_seq\":")
        j.int(Int(ledger.lastSeq))
        j.raw(",\"run\":")
        j.int(state.run)
        j.raw("}\n")
        var records = 0
        for i in state.inputs {
            j.raw("{\"type\":\"input\",\"head_hash\":\"")
            j.bytes += Array(String(i.headHash, radix: 16).utf8)
            j.raw("\",\"head_length\":")
            j.int(i.headLength)
            j.raw(",\"offset\":")
            j.int(Int(i.offset))
            j.raw(",\"line\":")
            j.int(i.line)
            j.raw(",\"tail_hash\":\"")
            j.bytes += Array(String(i.tailHash, radix: 16).utf8)
            j.raw("\",\"tail_length\":")
            j.int(i.tailLength)
            j.raw(",\"name\":")
            j.string(i.name)
            j.raw(",\"run\":")
            j.int(i.run)
            j.raw("}\n")
            records += 1
        }
        ledger.forEachRecipientInKeyOrder { key, r in
            j.raw("{\"type\":\"recipient\",")
            Self.putBytes("recipient", key, &j)
            r.appendCounters(to: &j)
            j.raw(",\"soft_since\":")
            SuppressionDelta.appendInstant(r.softSince, &j)
            j.raw(",\"last_reason\":")
            if let reason = r.lastReason { j.string(reason.name) } else { j.null() }
            j.raw(",\"suppressed\":")
            j.raw(r.suppressed ? "true" : "false")
            j.raw(",\"suppressed_at\":")
            SuppressionDelta.appendInstant(r.suppressedAt, &j)
            j.raw(",\"until\":")
            SuppressionDelta.appendInstant(r.until, &j)
            j.raw(",\"suppress_reason\":")
            if let s = r.suppressReason { j.string(s) } else { j.null() }
            j.raw(",\"suppress_why\":")
            if let w = r.suppressWhy { j.string(w.rawValue) } else { j.null() }
            j.raw("}\n")
            records += 1
        }
        ledger.forEachPairInKeyOrder { key, p in
            // host \0 queue id \0 recipient
            let z1 = key.firstIndex(of: 0) ?? key.count
            let z2 = key[min(z1 + 1, key.count)...].firstIndex(of: 0) ?? key.count
            j.raw("{\"type\":\"pair\",")
            Self.putBytes("host", UnsafeBufferPointer(rebasing: key[0..<z1]), &j)
            j.byte(ASCII.comma)
            Self.putBytes("queue_id", UnsafeBufferPointer(rebasing: key[min(z1 + 1, z2)..<z2]), &j)
            j.byte(ASCII.comma)
            Self.putBytes("recipient", UnsafeBufferPointer(rebasing: key[min(z2 + 1, key.count)...]), &j)
            j.raw(",\"hard\":")
            j.raw(p.countedHard ? "true" : "false")
            j.raw(",\"last_seen\":")
            j.int(Int(p.lastSeen))
            j.raw("}\n")
            records += 1
        }
        for m in inFlight.snapshot {
            let parts = m.key.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false).map(Array.init)
            j.raw("{\"type\":\"message\",")
            Self.putBytes("host", parts[0], &j)
            j.byte(ASCII.comma)
            Self.putBytes("queue_id", parts[1], &j)
            j.raw(",\"last_seen\":")
            j.int(Int(m.lastSeen))
            j.raw(",\"pending\":[")
            for (k, p) in m.pending.enumerated() {
                if k > 0 { j.byte(ASCII.comma) }
                j.byte(UInt8(ascii: "{"))
                Self.putBytes("recipient", p.recipient, &j)
                j.raw(",\"original\":")
                if let o = p.original { o.withUnsafeBufferPointer { j.string($0, 0..<$0.count) } } else { j.null() }
                j.raw(",\"dsn\":")
                if let d = p.dsn { j.string(d.description) } else { j.null() }
                j.byte(UInt8(ascii: "}"))
            }
            j.raw("]}\n")
            records += 1
        }
        for d in state.pending {
            j.raw("{\"type\":\"pending\",\"delta\":")
            var inner = JSONBuffer(capacity: 512)
            d.append(to: &inner)
            j.bytes += inner.bytes.dropLast()  // without its newline
            j.raw("}\n")
            records += 1
        }
        j.raw("{\"type\":\"end\",\"records\":")
        j.int(records)
        j.raw("}\n")
        do {
            try DurableFile.replace(statePath, with: j.bytes)
        } catch let e as DurableFile.Failure {
            throw StateError(message: "\(e); the previous state is unchanged")
        }
    }

    // MARK: - Field helpers

    /// A key as a JSON string when it is UTF-8 (as nearly always), else as hex under `NAME_hex`.
    static func putBytes(_ name: StaticString, _ bytes: [UInt8], _ j: inout JSONBuffer) {
        bytes.withUnsafeBufferPointer { putBytes(name, $0, &j) }
    }

    static func putBytes(_ name: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, _ j: inout JSONBuffer) {
        j.byte(ASCII.quote)
        j.raw(name)
        // Plain ASCII (nearly every address) needs no validating String.
        if bytes.allSatisfy({ $0 < 0x80 }) || String(validating: bytes, as: UTF8.self) != nil {
            j.raw("\":")
            j.string(bytes, 0..<bytes.count)
        } else {
            j.raw("_hex\":\"")
            for b in bytes {
                let hex: StaticString = "0123456789abcdef"
                j.byte(hex.utf8Start[Int(b >> 4)])
                j.byte(hex.utf8Start[Int(b & 15)])
            }
            j.byte(ASCII.quote)
        }
    }

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
        return InputRecord(
            headHash: hh, headLength: try value(o, "head_length"), offset: UInt64(try value(o, "offset") as Int),
            line: try value(o, "line"), tailHash: th, tailLength: try value(o, "tail_length"),
            name: try value(o, "name"), run: try value(o, "run"))
    }

    static func recipient(_ o: [String: Any]) throws -> ([UInt8], BounceLedger.Recipient) {
        var r = BounceLedger.Recipient()
        r.hard = try value(o, "hard")
        r.soft = try value(o, "soft")
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
        return SuppressionDelta(
            seq: UInt64(try value(o, "seq") as Int), time: time, action: action, recipient: try bytes(o, "recipient"),
            why: why, reason: o["reason"] as? String, hard: try value(o, "hard"), soft: try value(o, "soft"),
            firstBounce: try instant(o, "first_bounce"), lastBounce: try instant(o, "last_bounce"),
            until: try instant(o, "until"), file: (o["file"] as? String).map { Array($0.utf8) }, line: o["line"] as? Int)
    }
}

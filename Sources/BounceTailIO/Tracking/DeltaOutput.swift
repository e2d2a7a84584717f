#if canImport(Glibc)
import Glibc
#endif
import BounceTailCore
import Foundation

/// Where the deltas go after each commit: the deltas file (exactly once, by seq) or stdout (at least once).
/// The delta rows in the state are the truth; this writes the ones its destination does not have yet.
final class DeltaOutput {
    let file: DeltaFile?
    let out: OutputStream
    private let store: StateStore
    /// The last seq the destination holds.
    private(set) var writtenSeq: UInt64
    /// For stdout: the last seq recorded in the state as printed.
    private(set) var recordedStdoutSeq: UInt64 = 0
    var onWarning: (String) -> Void

    /// Decides where the destination stands; an inconsistent pair of state and file is an error naming both.
    init(path: String?, store: StateStore, ledger: BounceLedger, continueNumbering: Bool, fileMode: mode_t,
         out: OutputStream, onWarning: @escaping (String) -> Void) throws
    {
        self.store = store
        self.out = out
        self.onWarning = onWarning
        let stateSeq = ledger.lastSeq
        guard let path else {
            file = nil
            recordedStdoutSeq = UInt64(max(0, try store.metaValue("stdout_seq") ?? Int64(stateSeq)))
            writtenSeq = min(recordedStdoutSeq, stateSeq)
            return
        }
        let f = try DeltaFile(path: path, mode: fileMode)
        file = f
        let inFile = f.lastSeqInFile
        let recorded = try store.deltaFileRecord(path)
        if inFile > stateSeq {
            if store.isNew && continueNumbering {
                ledger.restore(lastSeq: inFile)
                writtenSeq = inFile
                return
            }
            if store.isNew {
                throw StateError(message: "\(path) holds deltas up to seq \(inFile), but the state in \(store.location) is new and would number its deltas from 1 again (the file's consumers would skip them). Move \(path) away, or run with --continue-seq to number the new state's deltas from \(inFile + 1)")
            }
            throw StateError(message: "\(path) holds deltas up to seq \(inFile), but the state in \(store.location) has reached only seq \(stateSeq) (restored from a backup? another state's file?). Nothing was written. Restore the state that wrote the file, or move \(path) away (`bouncetail deltas --state DIR --since 0` rebuilds it from the deltas the state keeps)")
        }
        let sameFile = recorded.map { $0.device == f.device && $0.inode == f.inode } ?? false
        if inFile > 0 {
            // The file's own last line is the truth of what it holds; a different file than the one last
            // written does not get again what went to that one.
            writtenSeq = sameFile ? inFile : max(inFile, recorded?.writtenSeq ?? 0)
        } else if let recorded {
            // Emptied or replaced (rotated away): continue after what the old file got. If that file is still
            // beside it (deltas.jsonl.1), its last line may be newer than the record (a crash after an append).
            var written = recorded.writtenSeq
            if !sameFile, let old = Self.findByIdentity(recorded, near: path) {
                let fd = open(old, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                var st = stat()
                if fd >= 0, fstat(fd, &st) == 0,
                    let seq = try? DeltaFile.lastSeq(fd, path: old, size: Int64(st.st_size), cutTornLine: false)
                {
                    written = max(written, seq)
                }
                if fd >= 0 { close(fd) }
            }
            writtenSeq = min(written, stateSeq)
        } else {
            // A deltas file new to this state starts with the deltas made from now on (`bouncetail deltas`
            // replays older ones).
            writtenSeq = stateSeq
        }
    }

    /// Where the file stands, for the commit to record before it appends.
    var record: (path: String, record: DeltaFileRecord)? {
        file.map { ($0.path, DeltaFileRecord(device: $0.device, inode: $0.inode, writtenSeq: writtenSeq)) }
    }

    /// The rows of the state the destination does not have yet (after a crash, or a rotated deltas file).
    func catchUp(upTo lastSeq: UInt64) throws {
        guard writtenSeq < lastSeq else { return }
        if let oldest = try store.oldestKeptSeq(), oldest > writtenSeq + 1 {
            onWarning("\(file?.path ?? "stdout"): deltas \(writtenSeq + 1)–\(oldest - 1) are no longer kept in the state (--keep-deltas); continuing at \(oldest)")
        }
        var lines: [UInt8] = []
        var last = writtenSeq
        try store.forEachDelta(after: writtenSeq) { seq, json in
            guard seq <= lastSeq else { return }
            lines += json
            last = seq
        }
        try write(lines, lastSeq: last)
    }

    /// Appends this commit's deltas (those above what the destination holds).
    func emit(_ deltas: [SuppressionDelta]) throws {
        var j = JSONBuffer(capacity: 1 << 12)
        var last = writtenSeq
        for d in deltas where d.seq > writtenSeq {
            d.append(to: &j)
            last = d.seq
        }
        try write(j.bytes, lastSeq: last)
    }

    private func write(_ lines: [UInt8], lastSeq: UInt64) throws {
        guard !lines.isEmpty else { return }
        guard let file else {
            out.buffer += lines
            try out.flush()
            writtenSeq = lastSeq
            return
        }
        if try file.followRename() {
            onWarning("\(file.path): a new file (the old one was rotated away); continuing at seq \(writtenSeq + 1)")
        }
        try file.append(lines, lastSeq: lastSeq)
        writtenSeq = lastSeq
        try store.recordDeltaFile(file.path, DeltaFileRecord(device: file.device, inode: file.inode, writtenSeq: lastSeq))
    }

    /// stdout's position as the state should record it (nil when it is recorded already).
    var stdoutSeqToRecord: UInt64? {
        guard file == nil, writtenSeq != recordedStdoutSeq else { return nil }
        return writtenSeq
    }

    func stdoutSeqRecorded(_ seq: UInt64) { recordedStdoutSeq = seq }

    /// A file in the deltas file's directory with the recorded identity (logrotate's `deltas.jsonl.1`).
    static func findByIdentity(_ r: DeltaFileRecord, near path: String) -> String? {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return nil }
        for name in names where name != base && name.hasPrefix(base) {
            let full = dir.isEmpty ? name : dir + "/" + name
            var st = stat()
            if lstat(full, &st) == 0, UInt64(st.st_dev) == r.device, UInt64(st.st_ino) == r.inode { return full }
        }
        return nil
    }
}

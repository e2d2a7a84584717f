import BounceTailCore

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

    static let maxHeadLength = 1024
    static let maxTailLength = 64
}

/// The positions and counters of runs, besides the live ledger and in-flight tables.
public struct TrackState: Sendable {
    public var run = 0
    public var inputs: [InputRecord] = []
    /// Where each systemd journal read stands.
    public var journals: [JournalPosition] = []
    public init() {}
}

/// A `suppress` or `unsuppress` another process queued for the running writer.
public struct QueuedCommand: Sendable {
    /// `activity` carries whether it lifts a soft suppression in `reason` ("lifts soft" or "lifts none").
    public enum Action: String, Sendable { case suppress, unsuppress, activity, reset }
    public var id: Int64
    public var action: Action
    public var address: String
    public var reason: String?
    public var time: Instant
}

/// Where a deltas file stood at the last commit: which file it was and the last seq it holds.
public struct DeltaFileRecord: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var writtenSeq: UInt64
}

/// One commit: everything that changed since the previous one (the ledger and the in-flight table say
/// what changed in them).
public struct CommitStep {
    public var state: TrackState
    public var lastSeq: UInt64
    public var deltas: [SuppressionDelta] = []
    /// Queued commands now applied: id, the seq of the delta each made (nil: nothing changed), a note.
    public var commandsDone: [(id: Int64, seq: UInt64?, note: String?)] = []
    /// The deltas file and where it stands before this commit's deltas are appended.
    public var deltaFile: (path: String, record: DeltaFileRecord)?
    /// The last seq printed on stdout.
    public var stdoutSeq: UInt64?
    /// Delta rows at or below this seq are no longer kept.
    public var forgetDeltasUpTo: UInt64 = 0
}

/// The state of a state directory: the embedded database is the first implementation (`SQLiteStateStore`);
/// a server database shared by many hosts can be another. Writers hold the directory; readers (`list`, the
/// policy service, `deltas`) and queued commands work beside a running writer.
public protocol StateStore: RecipientBacking {
    /// The database, for messages.
    var location: String { get }
    /// The state was created by this process (no run has committed to it before).
    var isNew: Bool { get }

    /// Positions, the run counter, the last seq, the pairs and messages in flight into memory. Recipients
    /// stay stored and are read as needed (the store is the ledger's `backing`).
    func load(into ledger: BounceLedger, inFlight: inout InFlightMessages) throws -> TrackState
    /// Stores one step in one transaction; nothing of it when it throws. The deltas committed: the step's, or
    /// (a state shared by many hosts) those its merge made.
    func commit(_ step: CommitStep, ledger: BounceLedger, inFlight: InFlightMessages) throws -> [SuppressionDelta]
    /// A stored row that could not be read while the ledger asked for it (reported at the next commit).
    func checkReads() throws

    /// The delta rows above `seq`, oldest first: seq and JSON line (with its newline).
    func forEachDelta(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws
    /// The smallest seq still kept (nil: none kept).
    func oldestKeptSeq() throws -> UInt64?
    func deltaFileRecord(_ path: String) throws -> DeltaFileRecord?
    /// Records where a deltas file stands after an append (its own small transaction).
    func recordDeltaFile(_ path: String, _ record: DeltaFileRecord) throws
    func metaValue(_ name: String) throws -> Int64?

    /// Commands queued by other processes and not applied yet, oldest first.
    func queuedCommands() throws -> [QueuedCommand]
    /// False when no other process has written since the last call (cheap: polled by `follow`).
    func othersMayHaveWritten() -> Bool

    /// Every suppressed address in address order (`list`): key and record.
    func forEachSuppressed(_ body: ([UInt8], BounceLedger.Recipient) throws -> Void) throws
    /// Queues commands for the running writer; their ids.
    func enqueue(_ commands: [(QueuedCommand.Action, String, String?)], at time: Instant) throws -> [Int64]
    /// What became of queued commands: id → (seq, note), for those applied.
    func appliedCommands(_ ids: [Int64]) throws -> [Int64: (seq: UInt64?, note: String?)]
    /// Before the writer exits: fold a large journal of recent commits into the database.
    func checkpointIfLarge()
    /// SQLite's `integrity_check` and the project's own range checks over every row; the problems found.
    func check() throws -> [String]
    /// What `report --state` shows of the state.
    func summary() throws -> SQLiteStateStore.Summary
    var commitSummary: String? { get }
}

extension StateStore {
    /// What commits cost so far, where the store measures it (nil: it does not).
    public var commitSummary: String? { nil }
}

/// What the policy service reads of a state: the list, and which addresses the deltas since a seq changed.
public protocol SuppressionListSource: AnyObject {
    func lastSeq() throws -> UInt64
    /// The suppressed addresses, their reason and whether the suppression is soft.
    func forEachSuppressedReasonAndWhy(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Bool) throws -> Void) throws
    /// False when nothing was committed since the last call (polled several times a second).
    func othersMayHaveWritten() -> Bool
    /// The addresses the deltas after `seq` changed, with their seq, oldest first; false when those deltas are
    /// no longer all kept (the caller reads the whole list again).
    func changedAddresses(after seq: UInt64, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool
    /// Whether `address` (lower-cased) is suppressed now: its reason and whether it is soft.
    func suppressionReasonAndWhy(_ address: UnsafeBufferPointer<UInt8>) throws -> ([UInt8], Bool)?
}

extension SQLiteStateStore: SuppressionListSource {}

/// The state shared by many hosts, in PostgreSQL: the embedded store's tables (docs/STATE.md) in a schema of
/// their own (`bouncetail`, so the database can be one the sending application already has), with a `host`
/// column wherever a row belongs to one host's reading, and PostgreSQL's own types for times and flags so
/// that other tools (a Postfix `pgsql:` map, the sender's application) can query the list directly.
public enum PostgresSchema {
    /// `bouncetail.meta`'s `schema_version`.
    public static let version: Int64 = 2

    /// Serialises schema changes across hosts (`pg_advisory_xact_lock`): "BTLS", as the embedded store's
    /// application id.
    static let migrationLock: Int64 = 0x4254_4C53

    static let tables = """
        CREATE SCHEMA IF NOT EXISTS bouncetail;

        CREATE TABLE bouncetail.meta (          -- schema_version, last_seq (the fleet's last delta)
            name  TEXT PRIMARY KEY,
            value BIGINT NOT NULL
        );

        CREATE TABLE bouncetail.hosts (         -- each host that tracks into this state
            host        TEXT PRIMARY KEY,       -- its name (--host-name, default the system's host name)
            run         BIGINT NOT NULL,        -- its runs so far (old inputs are forgotten by run)
            stdout_seq  BIGINT,                 -- the last seq it printed on stdout
            newest      BIGINT NOT NULL,        -- the newest log time it has committed (microseconds)
            last_commit TIMESTAMPTZ NOT NULL
        );

        CREATE TABLE bouncetail.inputs (        -- per host: each input read in its last 50 runs, known by content
            host        TEXT NOT NULL,
            position    INTEGER NOT NULL,
            name        TEXT NOT NULL,          -- the name it was last read under (identity is the content)
            head_hash   BIGINT NOT NULL,        -- FNV-1a of its first head_length bytes (decompressed)
            head_length INTEGER NOT NULL,
            "offset"    BIGINT NOT NULL,        -- bytes consumed (complete lines)
            line        BIGINT NOT NULL,        -- lines consumed
            tail_hash   BIGINT NOT NULL,        -- FNV-1a of the tail_length bytes before offset
            tail_length INTEGER NOT NULL,
            run         BIGINT NOT NULL,
            PRIMARY KEY (host, position)
        );

        CREATE TABLE bouncetail.journals (      -- per host: where each systemd journal read stands
            host     TEXT NOT NULL,
            key      TEXT NOT NULL,             -- journal, journal-dir:/abs/path, journal-files:/a,/b
            cursor   TEXT NOT NULL,             -- sd-journal's cursor of the last entry applied
            realtime BIGINT NOT NULL,           -- that entry's time (microseconds)
            run      BIGINT NOT NULL,
            entries  BIGINT NOT NULL,
            PRIMARY KEY (host, key)
        );

        CREATE TABLE bouncetail.recipients (    -- every address with a counter or a suppression, fleet-wide
            address         TEXT PRIMARY KEY,   -- lower-cased
            hard            INTEGER NOT NULL,   -- consecutive hard bounces (messages, not attempts)
            soft            INTEGER NOT NULL,   -- consecutive soft failures
            first_bounce    TIMESTAMPTZ,        -- first failure of the streak
            last_bounce     TIMESTAMPTZ,
            last_delivered  TIMESTAMPTZ,        -- the last delivery any host saw (within the reordering window)
            last_reason     TEXT,               -- docs/CLASSIFICATION.md's reason names
            suppressed      BOOLEAN NOT NULL,   -- on the suppression list
            suppressed_at   TIMESTAMPTZ,
            until           TIMESTAMPTZ,        -- end of a timed suppression (NULL: until delivered or lifted)
            suppress_reason TEXT,               -- a reason name, or the operator's text
            suppress_why    TEXT,               -- hard, soft or manual
            timeline        TEXT NOT NULL       -- bouncetail's own: the points replayed in log-time order
        );
        CREATE INDEX recipients_by_end ON bouncetail.recipients (until) WHERE suppressed AND until IS NOT NULL;
        CREATE INDEX recipients_suppressed ON bouncetail.recipients (address) WHERE suppressed;
        CREATE INDEX recipients_bare ON bouncetail.recipients (last_delivered) WHERE hard = 0 AND soft = 0 AND NOT suppressed;

        CREATE TABLE bouncetail.pairs (         -- per host: a message to a recipient that failed, not final yet
            tracker      TEXT NOT NULL,         -- the tracking host
            host         TEXT NOT NULL,         -- the MTA host the log line names
            queue_id     TEXT NOT NULL,
            recipient    TEXT NOT NULL,
            counted_hard BOOLEAN NOT NULL,
            last_seen    BIGINT NOT NULL,       -- log time, seconds
            PRIMARY KEY (tracker, host, queue_id, recipient)
        );

        CREATE TABLE bouncetail.messages (      -- per host: Postfix messages with recipients pending after a deferral
            tracker   TEXT NOT NULL,
            host      TEXT NOT NULL,
            queue_id  TEXT NOT NULL,
            last_seen BIGINT NOT NULL,
            PRIMARY KEY (tracker, host, queue_id)
        );
        CREATE TABLE bouncetail.message_recipients (
            tracker   TEXT NOT NULL,
            host      TEXT NOT NULL,
            queue_id  TEXT NOT NULL,
            position  INTEGER NOT NULL,         -- oldest first
            recipient TEXT NOT NULL,
            original  TEXT,
            dsn       TEXT,
            PRIMARY KEY (tracker, host, queue_id, position)
        );

        CREATE TABLE bouncetail.deltas (        -- the outbox: every delta of the fleet, one seq for all hosts
            seq       BIGINT PRIMARY KEY,
            time      TIMESTAMPTZ NOT NULL,
            action    TEXT NOT NULL CHECK (action IN ('suppress', 'unsuppress')),
            recipient TEXT NOT NULL,
            host      TEXT NOT NULL,            -- the host whose commit made it
            json      TEXT NOT NULL             -- the delta's JSON line as a deltas file has it (docs/FORMAT.md)
        );
        CREATE INDEX deltas_by_host ON bouncetail.deltas (host, seq);

        CREATE TABLE bouncetail.delta_files (   -- per host: where each of its deltas files stands
            host        TEXT NOT NULL,
            path        TEXT NOT NULL,
            device      BIGINT NOT NULL,
            inode       BIGINT NOT NULL,
            written_seq BIGINT NOT NULL,
            PRIMARY KEY (host, path)
        );
        """

    static let create = tables + """

        INSERT INTO bouncetail.meta (name, value) VALUES ('schema_version', 2), ('last_seq', 0);
        """

    /// Version 1 was made by `migrate` alone (no command wrote into it): its tables are empty and replaced.
    static let from1 = """
        DROP TABLE bouncetail.hosts, bouncetail.inputs, bouncetail.journals, bouncetail.recipients, bouncetail.pairs,
            bouncetail.messages, bouncetail.message_recipients, bouncetail.deltas, bouncetail.delta_files,
            bouncetail.commands, bouncetail.meta;
        """ + create

    /// What `migrate` found and did.
    public enum Migration: Equatable {
        case created
        case upToDate
        case migrated(from: Int64)
    }

    /// Creates the schema in an empty database, or checks it is the one this bouncetail writes; in one
    /// transaction under an advisory lock, so hosts migrating at once create it once.
    public static func migrate(_ conninfo: String) throws -> Migration {
        try migrate(PostgresConnection(conninfo))
    }

    static func migrate(_ db: PostgresConnection) throws -> Migration {
        try db.transaction {
            try db.query("SELECT pg_advisory_xact_lock($1)", [String(migrationLock)])
            let exists = try db.query("SELECT to_regclass('bouncetail.meta') IS NOT NULL", [])
            guard exists.first?.first == "t" else {
                try db.execute(create)
                return .created
            }
            let found = try db.query("SELECT value FROM bouncetail.meta WHERE name = 'schema_version'", [])
            guard let text = found.first?.first ?? nil, let v = Int64(text) else {
                throw StateError(message: "\(db.name): bouncetail.meta has no schema_version: not a state bouncetail made; not changed")
            }
            if v > version {
                throw StateError(message: "\(db.name): schema version \(v), this bouncetail writes version \(version) (a newer bouncetail migrated it?); not changed")
            }
            if v == 1 {
                guard try db.query("SELECT count(*) FROM bouncetail.recipients", []).first?.first == "0" else {
                    throw StateError(message: "\(db.name): schema version 1 with recipients in it, which no bouncetail wrote; not changed")
                }
                try db.execute(from1)
                return .migrated(from: 1)
            }
            return .upToDate
        }
    }
}

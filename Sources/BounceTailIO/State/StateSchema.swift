/// The SQL of the state database (`state.db`), in one place; docs/STATE.md explains every table. Other tools
/// may read it with `sqlite3` while bouncetail writes (WAL mode); only bouncetail writes it, except the
/// `commands` table, where `suppress` and `unsuppress` queue changes for a running writer.
enum StateSchema {
    /// `PRAGMA application_id`: "BTLS", so `file(1)` and bouncetail can tell the database from others.
    static let applicationID: Int64 = 0x4254_4C53
    /// `PRAGMA user_version`: 4 (version 1 was `state.jsonl`; 2 queued only suppress and unsuppress; 3 had no
    /// journal positions).
    static let version: Int64 = 4

    /// From version 2: the queue also takes recorded activity and counter resets.
    static let migrateFrom2 = """
        CREATE TABLE commands_v3 (
            id        INTEGER PRIMARY KEY,
            action    TEXT NOT NULL CHECK (action IN ('suppress', 'unsuppress', 'activity', 'reset')),
            address   TEXT NOT NULL,
            reason    TEXT,
            time      INTEGER NOT NULL,
            done      INTEGER NOT NULL DEFAULT 0,
            seq       INTEGER,
            note      TEXT
        );
        INSERT INTO commands_v3 SELECT id, action, address, reason, time, done, seq, note FROM commands;
        DROP TABLE commands;
        ALTER TABLE commands_v3 RENAME TO commands;
        PRAGMA user_version = 3;
        """

    /// From version 3: where each systemd journal read stands.
    static let migrateFrom3 = """
        \(journals)
        PRAGMA user_version = 4;
        """

    static let journals = """
        CREATE TABLE IF NOT EXISTS journals ( -- one per systemd journal read (--journal, --journal-dir, --journal-file)
            key      TEXT PRIMARY KEY,    -- which journal: journal, journal-dir:/abs/path, journal-files:/a,/b
            cursor   TEXT NOT NULL,       -- sd-journal's cursor of the last entry applied
            realtime INTEGER NOT NULL,    -- that entry's __REALTIME_TIMESTAMP (microseconds)
            run      INTEGER NOT NULL,    -- the run that last read it
            entries  INTEGER NOT NULL     -- entries applied from it so far (deltas' "line" counts them)
        ) WITHOUT ROWID;
        """

    static let create = """
        CREATE TABLE meta (
            name  TEXT PRIMARY KEY,       -- last_seq, run, stdout_seq, created
            value INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE inputs (             -- one per input read in the last 50 runs, known by content
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,    -- the name it was last read under (identity is the content)
            head_hash   INTEGER NOT NULL, -- FNV-1a of its first head_length bytes (decompressed)
            head_length INTEGER NOT NULL,
            offset      INTEGER NOT NULL, -- bytes consumed (complete lines)
            line        INTEGER NOT NULL, -- lines consumed
            tail_hash   INTEGER NOT NULL, -- FNV-1a of the tail_length bytes before offset
            tail_length INTEGER NOT NULL,
            run         INTEGER NOT NULL  -- the run that last saw it
        );

        CREATE TABLE recipients (         -- every address with a counter or a suppression
            address         TEXT PRIMARY KEY,  -- lower-cased
            hard            INTEGER NOT NULL,  -- consecutive hard bounces (messages, not attempts)
            soft            INTEGER NOT NULL,  -- consecutive soft failures
            first_bounce    TEXT,              -- RFC 3339, UTC: first failure of the streak
            last_bounce     TEXT,
            soft_since      TEXT,              -- first failure of the soft streak
            last_reason     TEXT,              -- docs/CLASSIFICATION.md's reason names
            suppressed      INTEGER NOT NULL,  -- 1: on the suppression list
            suppressed_at   TEXT,
            until           TEXT,              -- end of a timed suppression (NULL: until delivered or lifted)
            until_epoch     INTEGER,           -- the same in seconds, for the index of ends
            suppress_reason TEXT,              -- a reason name, or the operator's text
            suppress_why    TEXT               -- hard, soft or manual
        ) WITHOUT ROWID;
        CREATE INDEX recipients_by_end ON recipients (until_epoch) WHERE until_epoch IS NOT NULL;
        CREATE INDEX recipients_suppressed ON recipients (address) WHERE suppressed = 1;  -- `list`

        CREATE TABLE pairs (              -- a message to a recipient that failed and is not final yet
            host         TEXT NOT NULL,
            queue_id     TEXT NOT NULL,
            recipient    TEXT NOT NULL,
            counted_hard INTEGER NOT NULL,
            last_seen    INTEGER NOT NULL, -- log time, seconds
            PRIMARY KEY (host, queue_id, recipient)
        ) WITHOUT ROWID;

        CREATE TABLE messages (           -- Postfix messages with recipients pending after a deferral
            host      TEXT NOT NULL,
            queue_id  TEXT NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (host, queue_id)
        ) WITHOUT ROWID;
        CREATE TABLE message_recipients (
            host      TEXT NOT NULL,
            queue_id  TEXT NOT NULL,
            position  INTEGER NOT NULL,   -- oldest first
            recipient TEXT NOT NULL,
            original  TEXT,
            dsn       TEXT,
            PRIMARY KEY (host, queue_id, position)
        ) WITHOUT ROWID;

        CREATE TABLE deltas (             -- the outbox: every delta, kept for --keep-deltas
            seq       INTEGER PRIMARY KEY,
            time      TEXT NOT NULL,
            action    TEXT NOT NULL,      -- suppress or unsuppress
            recipient TEXT NOT NULL,
            json      TEXT NOT NULL       -- the delta's JSON line as the deltas file has it (docs/FORMAT.md)
        );

        CREATE TABLE delta_files (        -- where each deltas file stands: the file it was, the last seq in it
            path        TEXT PRIMARY KEY,
            device      INTEGER NOT NULL,
            inode       INTEGER NOT NULL,
            written_seq INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE commands (           -- suppress/unsuppress queued for the running writer
            id        INTEGER PRIMARY KEY,
            action    TEXT NOT NULL CHECK (action IN ('suppress', 'unsuppress', 'activity', 'reset')),
            address   TEXT NOT NULL,
            reason    TEXT,
            time      INTEGER NOT NULL,   -- when it was asked (seconds)
            done      INTEGER NOT NULL DEFAULT 0,
            seq       INTEGER,            -- the delta it made (NULL: nothing to change)
            note      TEXT                -- what the writer said (e.g. "already suppressed")
        );
        \(journals)
        """
}

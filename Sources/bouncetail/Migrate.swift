import ArgumentParser
import BounceTailIO

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade a state's schema: a state directory's database, or a PostgreSQL database.",
        discussion: """
            A state directory is migrated by its next writer anyway; migrate does it now (and creates the \
            directory when missing). A PostgreSQL state (a postgresql:// URL or a libpq key=value string) gets \
            its tables in the schema "bouncetail"; hosts migrating at once create it once (docs/STATE.md).
            Examples:
              bouncetail migrate --state /var/lib/bouncetail
              bouncetail migrate --state postgresql://bouncetail@db.example.net/mail
              bouncetail migrate --state 'host=/run/postgresql dbname=mail'
            """)

    @Option(help: "State directory, or a PostgreSQL connection string.")
    var state: String

    func run() throws {
        try runReportingErrors {
            if PostgresState.isConnectionString(state) {
                let what = try PostgresSchema.migrate(state)
                let name = PostgresState.redacted(state)
                switch what {
                case .created: print("\(name): schema bouncetail created at version \(PostgresSchema.version)")
                case .upToDate: print("\(name): schema bouncetail is at version \(PostgresSchema.version), nothing to do")
                case .migrated(let from): print("\(name): schema bouncetail migrated from version \(from) to \(PostgresSchema.version)")
                }
            } else {
                let store = try SQLiteStateStore(directory: state, access: .write)
                print("\(store.location): state version \(SQLiteStateStore.schemaVersion)")
            }
        }
    }
}

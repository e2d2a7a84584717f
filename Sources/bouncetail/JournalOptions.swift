import ArgumentParser
import BounceTailIO

/// The systemd journal as an input (scan, track, report, follow): this host's, a directory of journal files, or
/// journal files one by one; which entries are mail log lines.
struct JournalOptions: ParsableArguments {
    @Flag(help: "Read this host's systemd journal (Postfix and Exim entries) after any files named.")
    var journal = false

    @Option(help: ArgumentHelp("Read the journal files in this directory (copied from another host; follows its rotation).", valueName: "dir"))
    var journalDir: String?

    @Option(help: ArgumentHelp("Read this journal file (repeatable; a file rotated away is not followed: use --journal-dir).", valueName: "file"))
    var journalFile: [String] = []

    @Option(help: ArgumentHelp("Only entries of this systemd unit, e.g. postfix@- (repeatable).", valueName: "unit"))
    var unit: [String] = []

    @Option(help: ArgumentHelp(
        "Only entries with this syslog identifier, * matching any text (repeatable; default: */* and exim*, Postfix under any syslog_name and Exim).",
        valueName: "name"))
    var identifier: [String] = []

    func validate() throws {
        let locations = (journal ? 1 : 0) + (journalDir != nil ? 1 : 0) + (journalFile.isEmpty ? 0 : 1)
        if locations > 1 { throw ValidationError("name one journal: --journal, --journal-dir or --journal-file") }
        if locations == 0 && (!unit.isEmpty || !identifier.isEmpty) {
            throw ValidationError("--unit and --identifier choose journal entries: add --journal, --journal-dir or --journal-file")
        }
        if identifier.contains(where: \.isEmpty) { throw ValidationError("--identifier: an empty name matches nothing") }
    }

    /// The journal asked for, if any (paths made absolute, so messages name them as the state keys them).
    var location: JournalLocation? {
        if journal { return .local }
        if let journalDir { return .directory(JournalLocation.absolute(journalDir)) }
        if !journalFile.isEmpty { return .files(journalFile.map(JournalLocation.absolute)) }
        return nil
    }

    var filter: JournalFilter { JournalFilter(identifiers: identifier, units: unit) }
}

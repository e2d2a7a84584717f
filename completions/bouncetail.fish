function __bouncetail_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __bouncetail_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __bouncetail_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __bouncetail_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __bouncetail_parse_tokens -S
    set -l unparsed_tokens (__bouncetail_tokens -pc)
    switch $unparsed_tokens[1]
    case 'bouncetail'
        __bouncetail_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'scan'
            __bouncetail_parse_subcommand -r 1 'format=' 'timezone=' 'year=' 'max-line-bytes=' 'quiet' 'journal' 'journal-dir=' 'journal-file=+' 'unit=+' 'identifier=+' 'version' 'h/help'
        case 'track'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'events' 'activity-lifts=' 'continue-seq' 'keep-deltas=' 'host-name=' 'reorder-window=' 'hard-limit=' 'soft-limit=' 'soft-span=' 'suppress-for=' 'count-sender-faults' 'in-flight-max-age=' 'format=' 'timezone=' 'year=' 'max-line-bytes=' 'quiet' 'journal' 'journal-dir=' 'journal-file=+' 'unit=+' 'identifier=+' 'version' 'h/help'
        case 'follow'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'from=' 'rotate-wait=' 'poll-interval=' 'verbose' 'continue-seq' 'keep-deltas=' 'host-name=' 'reorder-window=' 'hard-limit=' 'soft-limit=' 'soft-span=' 'suppress-for=' 'count-sender-faults' 'in-flight-max-age=' 'timezone=' 'format=' 'year=' 'max-line-bytes=' 'events' 'activity-lifts=' 'serve=+' 'quiet' 'journal' 'journal-dir=' 'journal-file=+' 'unit=+' 'identifier=+' 'version' 'h/help'
        case 'report'
            __bouncetail_parse_subcommand -r 1 'format=' 'timezone=' 'year=' 'max-line-bytes=' 'quiet' 'journal' 'journal-dir=' 'journal-file=+' 'unit=+' 'identifier=+' 'hard-limit=' 'soft-limit=' 'soft-span=' 'suppress-for=' 'count-sender-faults' 'in-flight-max-age=' 'json' 'top=' 'html=' 'state=' 'version' 'h/help'
        case 'suppress'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'reason=' 'file=+' 'column=' 'skip-invalid' 'version' 'h/help'
        case 'unsuppress'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'file=+' 'column=' 'skip-invalid' 'version' 'h/help'
        case 'activity'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'at=' 'activity-lifts=' 'file=+' 'column=' 'skip-invalid' 'version' 'h/help'
        case 'reset'
            __bouncetail_parse_subcommand -r 1 'state=' 'deltas=' 'file=+' 'column=' 'skip-invalid' 'version' 'h/help'
        case 'list'
            __bouncetail_parse_subcommand 0 'state=' 'format=' 'rejected' 'version' 'h/help'
        case 'deltas'
            __bouncetail_parse_subcommand 0 'state=' 'since=' 'version' 'h/help'
        case 'check'
            __bouncetail_parse_subcommand 0 'state=' 'version' 'h/help'
        case 'explain'
            __bouncetail_parse_subcommand 1 'line' 'status=' 'dsn=' 'relay=' 'json' 'version' 'h/help'
        case 'serve'
            __bouncetail_parse_subcommand 0 'state=' 'listen=+' 'soft=' 'fail-closed' 'version' 'h/help'
        case 'migrate'
            __bouncetail_parse_subcommand 0 'state=' 'version' 'h/help'
        case 'help'
            __bouncetail_parse_subcommand -r 1 'version'
        end
    end
end

function __bouncetail_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __bouncetail_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __bouncetail_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __bouncetail_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__bouncetail_tokens -p)
    if test -z "$(__bouncetail_tokens -t)"
        set -l index (count (__bouncetail_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'bouncetail' -f
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'scan' -d 'Print one JSON object per delivery outcome found in the logs.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'track' -d 'Keep per-recipient bounce counters and print suppression changes (deltas) as JSON Lines.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'follow' -d 'Follow live mail logs through rotation and keep the suppression list current.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'report' -d 'Summarise the bounces in some logs: by reason, by domain, sender-side problems, suppressions.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'suppress' -d 'Suppress addresses by hand (a delta with "why":"manual"); works beside a running follow.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'unsuppress' -d 'Lift suppressions by hand and reset the counters (a delta with "why":"manual"); works beside a running follow.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'activity' -d 'Record activity (an open, a click, a reply): the address is alive, its consecutive bounces start again.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'reset' -d 'Zero addresses\' bounce counters by hand without changing the list; works beside a running follow.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'list' -d 'Print the current suppression list: JSON Lines, CSV, a Postfix access table or an Exim lsearch file.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'deltas' -d 'Print the deltas the state keeps after a seq: for a consumer that lost its place.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'check' -d 'Check a state directory: SQLite\'s integrity check and every stored value\'s range.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'explain' -d 'Show how a bounce text (or a whole log line) is classified, and which rule decided.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'serve' -d 'Answer the MTA at RCPT time from the suppression list: Postfix\'s policy service, Exim\'s readsocket.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'migrate' -d 'Create or upgrade a state\'s schema: a state directory\'s database, or a PostgreSQL database.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_positional "bouncetail" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" format' -l 'format' -d 'Log format: auto (detected per file), postfix or exim.' -rfka 'auto postfix exim'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" timezone' -l 'timezone' -d 'Zone of stamps that carry none (legacy syslog, Exim without +hhmm): an IANA name, UTC or +01:00.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" year' -l 'year' -d 'Year of the first legacy syslog stamp (default: from the file\'s modification time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" max-line-bytes' -l 'max-line-bytes' -d 'Longest line read; longer lines are skipped with a warning.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" quiet' -l 'quiet' -d 'No progress line on stderr (it is shown only when stderr is a terminal).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" journal' -l 'journal' -d 'Read this host\'s systemd journal (Postfix and Exim entries) after any files named.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" journal-dir' -l 'journal-dir' -d 'Read the journal files in this directory (copied from another host; follows its rotation).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan"' -l 'journal-file' -d 'Read this journal file (repeatable; a file rotated away is not followed: use --journal-dir).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan"' -l 'unit' -d 'Only entries of this systemd unit, e.g. postfix@- (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan"' -l 'identifier' -d 'Only entries with this syslog identifier, * matching any text (repeatable; default: */* and exim*, Postfix under any syslog_name and Exim).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail scan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" state' -l 'state' -d 'State directory (created if missing; one process at a time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" deltas' -l 'deltas' -d 'Append deltas to this file, exactly once even across crashes (default: stdout, at least once).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" events' -l 'events' -d 'Inputs are outcome JSON Lines from `bouncetail scan`, not logs.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" activity-lifts' -l 'activity-lifts' -d 'Which suppressions an activity event (--events) lifts: soft (default) or none.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" continue-seq' -l 'continue-seq' -d 'With a new state and a deltas file that already holds deltas, number on from the file\'s last seq.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" keep-deltas' -l 'keep-deltas' -d 'Deltas kept in the state for `bouncetail deltas --since` (besides those not yet written out).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" host-name' -l 'host-name' -d 'With --state postgresql://...: this host\'s name in the shared state (default: the system\'s host name).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" reorder-window' -l 'reorder-window' -d 'With --state postgresql://...: how far behind the fleet\'s newest log time a host\'s outcomes are still placed exactly (default 1d).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" hard-limit' -l 'hard-limit' -d 'Suppress after this many consecutive hard bounces.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" soft-limit' -l 'soft-limit' -d 'Suppress after this many consecutive soft failures...' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" soft-span' -l 'soft-span' -d '...spanning at least this long (e.g. 7d, 36h).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" suppress-for' -l 'suppress-for' -d 'How long a suppression lasts: a duration (7d) or forever.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" count-sender-faults' -l 'count-sender-faults' -d 'Count failures that are the sender\'s or the message\'s fault (blocklists, DMARC, spam) too.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" in-flight-max-age' -l 'in-flight-max-age' -d 'Forget in-flight messages not seen for this long.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" format' -l 'format' -d 'Log format: auto (detected per file), postfix or exim.' -rfka 'auto postfix exim'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" timezone' -l 'timezone' -d 'Zone of stamps that carry none (legacy syslog, Exim without +hhmm): an IANA name, UTC or +01:00.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" year' -l 'year' -d 'Year of the first legacy syslog stamp (default: from the file\'s modification time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" max-line-bytes' -l 'max-line-bytes' -d 'Longest line read; longer lines are skipped with a warning.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" quiet' -l 'quiet' -d 'No progress line on stderr (it is shown only when stderr is a terminal).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" journal' -l 'journal' -d 'Read this host\'s systemd journal (Postfix and Exim entries) after any files named.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" journal-dir' -l 'journal-dir' -d 'Read the journal files in this directory (copied from another host; follows its rotation).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track"' -l 'journal-file' -d 'Read this journal file (repeatable; a file rotated away is not followed: use --journal-dir).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track"' -l 'unit' -d 'Only entries of this systemd unit, e.g. postfix@- (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track"' -l 'identifier' -d 'Only entries with this syslog identifier, * matching any text (repeatable; default: */* and exim*, Postfix under any syslog_name and Exim).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail track" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" state' -l 'state' -d 'State directory (created if missing; one process at a time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" deltas' -l 'deltas' -d 'Append deltas to this file, exactly once even across crashes (default: stdout, at least once).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" from' -l 'from' -d 'With a fresh state, where to begin: start or end of the files.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" rotate-wait' -l 'rotate-wait' -d 'How long a rotated-away file must stay quiet before the new one is read.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" poll-interval' -l 'poll-interval' -d 'Longest pause between two looks at an idle file.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" verbose' -l 'verbose' -d 'Report lines per second on stderr every 10 seconds.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" continue-seq' -l 'continue-seq' -d 'With a new state and a deltas file that already holds deltas, number on from the file\'s last seq.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" keep-deltas' -l 'keep-deltas' -d 'Deltas kept in the state for `bouncetail deltas --since` (besides those not yet written out).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" host-name' -l 'host-name' -d 'With --state postgresql://...: this host\'s name in the shared state (default: the system\'s host name).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" reorder-window' -l 'reorder-window' -d 'With --state postgresql://...: how far behind the fleet\'s newest log time a host\'s outcomes are still placed exactly (default 1d).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" hard-limit' -l 'hard-limit' -d 'Suppress after this many consecutive hard bounces.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" soft-limit' -l 'soft-limit' -d 'Suppress after this many consecutive soft failures...' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" soft-span' -l 'soft-span' -d '...spanning at least this long (e.g. 7d, 36h).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" suppress-for' -l 'suppress-for' -d 'How long a suppression lasts: a duration (7d) or forever.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" count-sender-faults' -l 'count-sender-faults' -d 'Count failures that are the sender\'s or the message\'s fault (blocklists, DMARC, spam) too.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" in-flight-max-age' -l 'in-flight-max-age' -d 'Forget in-flight messages not seen for this long.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" timezone' -l 'timezone' -d 'Zone of stamps that carry none: an IANA name, UTC or +01:00.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" format' -l 'format' -d 'Log format: auto, postfix or exim.' -rfka 'auto postfix exim'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" year' -l 'year' -d 'Year of the first legacy syslog stamp (default: from the file\'s modification time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" max-line-bytes' -l 'max-line-bytes' -d 'Longest line read; longer lines are skipped with a warning.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" events' -l 'events' -d 'The files hold outcome JSON Lines from `bouncetail scan` and activity events, not logs.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" activity-lifts' -l 'activity-lifts' -d 'Which suppressions an activity event (--events) lifts: soft (default) or none.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow"' -l 'serve' -d 'Also answer the MTA at RCPT, as bouncetail serve does, on unix:PATH or inet:HOST:PORT (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" quiet' -l 'quiet' -d 'No routine notes on stderr (following, rotated); warnings and errors are still printed.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" journal' -l 'journal' -d 'Read this host\'s systemd journal (Postfix and Exim entries) after any files named.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" journal-dir' -l 'journal-dir' -d 'Read the journal files in this directory (copied from another host; follows its rotation).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow"' -l 'journal-file' -d 'Read this journal file (repeatable; a file rotated away is not followed: use --journal-dir).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow"' -l 'unit' -d 'Only entries of this systemd unit, e.g. postfix@- (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow"' -l 'identifier' -d 'Only entries with this syslog identifier, * matching any text (repeatable; default: */* and exim*, Postfix under any syslog_name and Exim).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail follow" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" format' -l 'format' -d 'Log format: auto (detected per file), postfix or exim.' -rfka 'auto postfix exim'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" timezone' -l 'timezone' -d 'Zone of stamps that carry none (legacy syslog, Exim without +hhmm): an IANA name, UTC or +01:00.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" year' -l 'year' -d 'Year of the first legacy syslog stamp (default: from the file\'s modification time).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" max-line-bytes' -l 'max-line-bytes' -d 'Longest line read; longer lines are skipped with a warning.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" quiet' -l 'quiet' -d 'No progress line on stderr (it is shown only when stderr is a terminal).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" journal' -l 'journal' -d 'Read this host\'s systemd journal (Postfix and Exim entries) after any files named.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" journal-dir' -l 'journal-dir' -d 'Read the journal files in this directory (copied from another host; follows its rotation).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report"' -l 'journal-file' -d 'Read this journal file (repeatable; a file rotated away is not followed: use --journal-dir).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report"' -l 'unit' -d 'Only entries of this systemd unit, e.g. postfix@- (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report"' -l 'identifier' -d 'Only entries with this syslog identifier, * matching any text (repeatable; default: */* and exim*, Postfix under any syslog_name and Exim).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" hard-limit' -l 'hard-limit' -d 'Suppress after this many consecutive hard bounces.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" soft-limit' -l 'soft-limit' -d 'Suppress after this many consecutive soft failures...' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" soft-span' -l 'soft-span' -d '...spanning at least this long (e.g. 7d, 36h).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" suppress-for' -l 'suppress-for' -d 'How long a suppression lasts: a duration (7d) or forever.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" count-sender-faults' -l 'count-sender-faults' -d 'Count failures that are the sender\'s or the message\'s fault (blocklists, DMARC, spam) too.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" in-flight-max-age' -l 'in-flight-max-age' -d 'Forget in-flight messages not seen for this long.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" json' -l 'json' -d 'One JSON object instead of the text summary.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" top' -l 'top' -d 'How many recipient domains (and addresses) to show.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" html' -l 'html' -d 'Also write the report as one self-contained HTML page (charts inline, nothing fetched).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" state' -l 'state' -d 'Report on a tracked state directory instead of logs: the list, the counters running, the deltas kept.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" deltas' -l 'deltas' -d 'Append the deltas to this file (as `track --deltas`; a running follow writes its own).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" reason' -l 'reason' -d 'What kind of entry (complaint, unsubscribe, manual, bounce) or a short note; kept with the suppression.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress"' -l 'file' -d 'Read addresses from this file (- for stdin): one per line, or a CSV export (the first column holding an @, or --column). Repeatable.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" column' -l 'column' -d 'The CSV column with the addresses: its number (1 is the first) or its header\'s name.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" skip-invalid' -l 'skip-invalid' -d 'Change the valid addresses and skip the others (default: change nothing if any is refused).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail suppress" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" deltas' -l 'deltas' -d 'Append the deltas to this file (as `track --deltas`; a running follow writes its own).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress"' -l 'file' -d 'Read addresses from this file (- for stdin): one per line, or a CSV export (the first column holding an @, or --column). Repeatable.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" column' -l 'column' -d 'The CSV column with the addresses: its number (1 is the first) or its header\'s name.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" skip-invalid' -l 'skip-invalid' -d 'Change the valid addresses and skip the others (default: change nothing if any is refused).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail unsuppress" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" deltas' -l 'deltas' -d 'Append the deltas to this file (as `track --deltas`; a running follow writes its own).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" at' -l 'at' -d 'When the activity happened (RFC 3339; default now), for addresses without their own time.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" activity-lifts' -l 'activity-lifts' -d 'Which suppressions activity lifts: soft (default) or none.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity"' -l 'file' -d 'Read addresses from this file (- for stdin): one per line, or a CSV export (the first column holding an @, or --column). Repeatable.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" column' -l 'column' -d 'The CSV column with the addresses: its number (1 is the first) or its header\'s name.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" skip-invalid' -l 'skip-invalid' -d 'Change the valid addresses and skip the others (default: change nothing if any is refused).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail activity" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" deltas' -l 'deltas' -d 'Append the deltas to this file (as `track --deltas`; a running follow writes its own).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset"' -l 'file' -d 'Read addresses from this file (- for stdin): one per line, or a CSV export (the first column holding an @, or --column). Repeatable.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" column' -l 'column' -d 'The CSV column with the addresses: its number (1 is the first) or its header\'s name.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" skip-invalid' -l 'skip-invalid' -d 'Change the valid addresses and skip the others (default: change nothing if any is refused).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail reset" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail list" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail list" format' -l 'format' -d 'Output format: jsonl, csv, postfix (check_recipient_access table) or exim (lsearch file).' -rfka 'jsonl csv postfix exim'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail list" rejected' -l 'rejected' -d 'List the refusals of bouncetail serve instead (per address and reason, most first; jsonl or csv).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail list" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail deltas" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail deltas" since' -l 'since' -d 'Print the deltas with a seq above this one.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail deltas" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail deltas" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail check" state' -l 'state' -d 'State directory.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail check" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" line' -l 'line' -d 'The text is a whole Postfix or Exim log line, not just the server\'s reply.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" status' -l 'status' -d 'Status to assume for a bare text: bounced, deferred or expired (default: from the reply code).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" dsn' -l 'dsn' -d 'The enhanced status code logged beside the text (Postfix\'s dsn=), if any.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" relay' -l 'relay' -d 'The relay host that gave the reply (Postfix\'s relay=), for providers\' own meanings.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" json' -l 'json' -d 'Print JSON instead of text.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail explain" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve" state' -l 'state' -d 'State directory (read only).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve"' -l 'listen' -d 'Where to listen: unix:PATH or inet:HOST:PORT (repeatable).' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve" soft' -l 'soft' -d 'Answer for a soft suppression: defer (DEFER_IF_PERMIT), reject or dunno.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve" fail-closed' -l 'fail-closed' -d 'When the state cannot be read, answer DEFER_IF_PERMIT (default: DUNNO, mail flows).'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail migrate" state' -l 'state' -d 'State directory, or a PostgreSQL connection string.' -rfka ''
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail migrate" version' -l 'version' -d 'Show the version.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail migrate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'bouncetail' -n '__bouncetail_should_offer_completions_for_flags_or_options "bouncetail help" version' -l 'version' -d 'Show the version.'

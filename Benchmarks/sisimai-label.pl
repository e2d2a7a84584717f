#!/usr/bin/env perl
# Labels bounce texts with Sisimai's verdict (Debian libsisimai-perl), to build labelled sets for
# Benchmarks/classify-agreement.pl from texts the project collects (providers' published bounce texts, MTA
# sources' own messages).
#
# Input, one per line (tab separated): id, smtp_reply_code, enhanced_status, smtp_command, diagnostic_text
# [, remote_host]. Lines starting with # are skipped. Each becomes the bounce email Postfix would send for that
# reply (a text part "host REMOTE[ip] said: TEXT (in reply to COMMAND command)" and a delivery-status part);
# Sisimai reads it whole. Output: the classify-agreement TSV (id, code, status, command, text, reason,
# hard_or_soft, source, remote_host) with Sisimai's reason, hard/soft and the status code it reports.
#
# With --notice MTA the text goes into the bounce that MTA sends instead (qmail-send's failure notice, Sendmail's
# transcript with its delivery-status part, Exim's "Mail delivery failed", Courier's DSN, Gmail's "Delivery
# Status Notification (Failure)"; each written out by the project from the format that MTA sends), and the row
# records what Sisimai read out of that email (reply code, status, SMTP command, diagnostic text), as the shared
# labelled set records real bounces: the row then looks to bouncetail as a real bounce of that MTA looks once
# carried into a log line. Ids get the MTA's initial (T001 -> T001q).
#
# Usage: perl Benchmarks/sisimai-label.pl [--notice qmail|sendmail|exim|courier|gmail] SOURCE-NAME
#            < texts.tsv > Benchmarks/bounces/NAME.tsv
use strict;
use warnings;
use Sisimai;

my $mta = '';
if (@ARGV && $ARGV[0] eq '--notice') {
    shift;
    $mta = shift // die "$0: --notice needs an MTA\n";
}
my $source = shift // 'project';
my %builders = (qmail => \&qmail, sendmail => \&sendmail, exim => \&exim, courier => \&courier, gmail => \&gmail);
my $build = $mta eq '' ? \&postfix : ($builders{$mta} // die "$0: unknown MTA $mta\n");
my $rcpt = 'rcpt@example.net';
my $original = join("\n", 'Return-Path: <sender@example.org>', 'From: sender@example.org', "To: $rcpt",
                    'Subject: hi', 'Message-Id: <original@example.org>', '', 'hi', '');
my %commandWords = (RCPT => 'RCPT TO', MAIL => 'MAIL FROM', DATA => 'end of DATA', EHLO => 'EHLO', HELO => 'HELO',
                    CONN => 'CONNECT');
print join("\t", qw(id smtp_reply_code enhanced_status smtp_command diagnostic_text sisimai_reason hard_or_soft source_file remote_host)), "\n";
while (my $l = <STDIN>) {
    chomp $l;
    next if $l =~ /^\s*(#|$)/;
    my ($id, $code, $dsn, $cmd, $text, $rhost) = split /\t/, $l, -1;
    $rhost = 'mx.example.net' if !defined $rhost || $rhost eq '';
    my $reply = $code ne '' && index($text, $code) != 0 ? "$code $text" : $text;
    my $mail = $build->($reply, $code, $dsn, $cmd, $rhost);
    my $v = eval { Sisimai->make(\$mail) };
    unless ($v && @$v) {
        warn "$id: Sisimai found no bounce" . ($mta ne '' ? " in the $mta notice" : '') . "\n";
        next;
    }
    my $d = $v->[0];
    my $hs = $d->softbounce == 0 ? 'hard' : ($d->softbounce == 1 ? 'soft' : '');
    if ($mta eq '') {
        print join("\t", $id, $code, $dsn, $cmd, $text, $d->reason, $hs,
                   "$source (Sisimai status " . ($d->deliverystatus // '') . ")", $rhost), "\n";
        next;
    }
    my $said = $d->diagnosticcode // '';
    $said =~ s/[\r\n\t]+/ /g;
    print join("\t", $id . substr($mta, 0, 1), $d->replycode // '', $d->deliverystatus // '', $d->smtpcommand // '',
               $said, $d->reason, $hs, "$source ($mta notice)", $rhost), "\n";
}

# Postfix: the reply in its text part, the status and the reply in its delivery-status part.
sub postfix {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    my $status = $dsn ne '' ? $dsn : ($code =~ /^4/ ? '4.0.0' : '5.0.0');
    my $inReply = $cmd ne '' ? ' (in reply to ' . ($commandWords{$cmd} // $cmd) . ' command)' : '';
    return join("\n",
        'From MAILER-DAEMON Wed Dec  2 10:00:00 2026', 'Return-Path: <>',
        'From: MAILER-DAEMON@mx.example.org (Mail Delivery System)', 'To: sender@example.org',
        'Subject: Undelivered Mail Returned to Sender', 'Date: Wed, 2 Dec 2026 10:00:00 +0000', 'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"', '', '--B',
        'Content-Type: text/plain', '', 'This is the mail system at host mx.example.org.', '',
        "I'm sorry to have to inform you that your message could not",
        'be delivered to one or more recipients. It\'s attached below.', '',
        '                   The mail system', '',
        "<rcpt\@example.net>: host $rhost\[192.0.2.1] said: $reply$inReply", '', '--B',
        'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.org',
        'X-Postfix-Queue-ID: 4QABCDEF', 'Arrival-Date: Wed,  2 Dec 2026 09:59:00 +0000', '',
        'Final-Recipient: rfc822; rcpt@example.net', 'Original-Recipient: rfc822;rcpt@example.net', 'Action: failed',
        "Status: $status", "Remote-MTA: dns; $rhost", "Diagnostic-Code: smtp; $reply", '', '--B',
        'Content-Type: message/rfc822', '', 'From: sender@example.org', 'To: rcpt@example.net', 'Subject: hi', '',
        'hi', '--B--', '');
}

sub headers {
    my ($from, $subject, @more) = @_;
    return ('From MAILER-DAEMON Wed Dec  2 10:00:00 2026', 'Return-Path: <>', "From: $from", 'To: sender@example.org',
            "Subject: $subject", 'Date: Wed, 2 Dec 2026 10:00:00 +0000', 'Message-Id: <bounce@mx.example.org>', @more);
}

# qmail-send: which step failed is in the words before "Remote host said:".
sub qmail {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    my %step = (CONN => 'Connected to 192.0.2.1 but greeting failed.', EHLO => 'Connected to 192.0.2.1 but my name was rejected.',
                HELO => 'Connected to 192.0.2.1 but my name was rejected.', MAIL => 'Connected to 192.0.2.1 but sender was rejected.',
                RCPT => '192.0.2.1 does not like recipient.', DATA => '192.0.2.1 failed after I sent the message.');
    my $permanent = $code !~ /^4/ && $dsn !~ /^4/;
    my @said = $cmd ne '' ? ($step{$cmd} // '192.0.2.1 does not like recipient.', "Remote host said: $reply",
                             'Giving up on 192.0.2.1.')
                          : ($reply);
    return join("\n", headers('MAILER-DAEMON@mx.example.org', 'failure notice'), '',
        'Hi. This is the qmail-send program at mx.example.org.',
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        $permanent ? "This is a permanent error; I've given up. Sorry it didn't work out." : 'This is a temporary error.', '',
        "<$rcpt>:", @said, '', '--- Below this line is a copy of the message.', '', $original);
}

# Sendmail: the transcript names the command; the delivery-status part carries the status.
sub sendmail {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    my %sent = (CONN => '', EHLO => '>>> EHLO mx.example.org', HELO => '>>> HELO mx.example.org',
                MAIL => '>>> MAIL From:<sender@example.org>', RCPT => ">>> RCPT To:<$rcpt>", DATA => '>>> DATA');
    my $status = $dsn ne '' ? $dsn : ($code =~ /^4/ ? '4.0.0' : '5.0.0');
    my @transcript = $cmd ne ''
        ? ('   ----- Transcript of session follows -----', "... while talking to $rhost.:",
           grep({ $_ ne '' } $sent{$cmd} // ">>> $cmd"), "<<< $reply", "$status <$rcpt>... " . ($code =~ /^4/ ? 'Deferred' : 'Service unavailable'))
        : ('   ----- Transcript of session follows -----', "$reply");
    return join("\n", headers('Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>',
                              'Returned mail: see transcript for details', 'MIME-Version: 1.0',
                              'Content-Type: multipart/report; report-type=delivery-status; boundary="B"'), '',
        'This is a MIME-encapsulated message', '', '--B', '',
        'The original message was received at Wed, 2 Dec 2026 09:59:00 +0000', 'from localhost [127.0.0.1]', '',
        '   ----- The following addresses had permanent fatal errors -----', "<$rcpt>", "    (reason: $reply)", '',
        @transcript, '', '--B', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Wed, 2 Dec 2026 09:59:00 +0000', '', "Final-Recipient: RFC822; $rcpt", 'Action: failed',
        "Status: $status", ($cmd ne '' ? ("Remote-MTA: DNS; $rhost", "Diagnostic-Code: SMTP; $reply") : ("Diagnostic-Code: SMTP; $reply")),
        'Last-Attempt-Date: Wed, 2 Dec 2026 10:00:00 +0000', '', '--B', 'Content-Type: message/rfc822', '', $original,
        '--B--', '');
}

# Exim: "SMTP error from remote mail server after <command>:" for a remote reply, else its own words.
sub exim {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    my %after = (RCPT => "after RCPT TO:<$rcpt>", MAIL => 'after MAIL FROM:<sender@example.org>', DATA => 'after end of data',
                 EHLO => 'after EHLO mx.example.org', HELO => 'after HELO mx.example.org', CONN => 'after initial connection');
    my @said = $cmd ne '' ? ("    host $rhost [192.0.2.1]", '    SMTP error from remote mail server ' . ($after{$cmd} // "after $cmd") . ':',
                             "    $reply")
                          : ("    $reply");
    return join("\n", headers('Mail Delivery System <Mailer-Daemon@mx.example.org>',
                              'Mail delivery failed: returning message to sender', "X-Failed-Recipients: $rcpt",
                              'Auto-Submitted: auto-replied'), '',
        'This message was created automatically by mail delivery software.', '',
        'A message that you sent could not be delivered to one or more of its',
        'recipients. This is a permanent error. The following address(es) failed:', '', "  $rcpt", @said, '',
        '------ This is a copy of the message, including all the headers. ------', '', $original);
}

# Courier: a transcript of the exchange, and a delivery-status part.
sub courier {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    my %sent = (EHLO => 'EHLO mx.example.org', HELO => 'HELO mx.example.org', MAIL => 'MAIL FROM:<sender@example.org>',
                RCPT => "RCPT TO:<$rcpt>", DATA => 'DATA');
    my $status = $dsn ne '' ? $dsn : ($code =~ /^4/ ? '4.0.0' : '5.0.0');
    my @said = ($cmd ne '' && $sent{$cmd}) ? (">>> $sent{$cmd}", "<<< $reply") : ("<<< $reply");
    return join("\n", headers('"Courier mail server at mx.example.org" <@>', 'NOTICE: mail delivery status.',
                              'MIME-Version: 1.0',
                              'Content-Type: multipart/report; report-type=delivery-status; boundary="B"'), '',
        '--B', 'Content-Type: text/plain; charset=us-ascii', '',
        'This is a delivery status notification from mx.example.org,', 'running the Courier mail server, version 1.0.', '',
        'The original message was received on Wed, 2 Dec 2026 09:59:00 +0000', 'from localhost [127.0.0.1]', '',
        '-' x 75, '', '                           UNDELIVERABLE MAIL', '',
        'Your message to the following recipients cannot be delivered:', '', "<$rcpt>:", "    $rhost [192.0.2.1]:",
        @said, '', '-' x 75, '', '--B', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.org',
        'Arrival-Date: Wed, 2 Dec 2026 09:59:00 +0000', '', "Final-Recipient: rfc822; $rcpt", 'Action: failed',
        "Status: $status", "Remote-MTA: dns; $rhost", "Diagnostic-Code: smtp; $reply", '', '--B',
        'Content-Type: message/rfc822', '', $original, '--B--', '');
}

# Gmail's notice of a permanent failure (the form its relayed bounces took for years).
sub gmail {
    my ($reply, $code, $dsn, $cmd, $rhost) = @_;
    return join("\n", headers('Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
                              'Delivery Status Notification (Failure)', 'X-Failed-Recipients: ' . $rcpt), '',
        'Delivery to the following recipient failed permanently:', '', "     $rcpt", '',
        'Technical details of permanent failure:',
        "Google tried to deliver your message, but it was rejected by the server for the recipient domain example.net by $rhost. [192.0.2.1].",
        '', 'The error that the other server returned was:', $reply, '', '----- Original message -----', '', $original);
}

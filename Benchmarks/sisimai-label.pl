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
# Usage: perl Benchmarks/sisimai-label.pl SOURCE-NAME < texts.tsv > Benchmarks/bounces/NAME.tsv
use strict;
use warnings;
use Sisimai;

my $source = shift // 'project';
my %commandWords = (RCPT => 'RCPT TO', MAIL => 'MAIL FROM', DATA => 'end of DATA', EHLO => 'EHLO', HELO => 'HELO',
                    CONN => 'CONNECT');
print join("\t", qw(id smtp_reply_code enhanced_status smtp_command diagnostic_text sisimai_reason hard_or_soft source_file remote_host)), "\n";
while (my $l = <STDIN>) {
    chomp $l;
    next if $l =~ /^\s*(#|$)/;
    my ($id, $code, $dsn, $cmd, $text, $rhost) = split /\t/, $l, -1;
    $rhost = 'mx.example.net' if !defined $rhost || $rhost eq '';
    my $status = $dsn ne '' ? $dsn : ($code =~ /^4/ ? '4.0.0' : '5.0.0');
    my $reply = $code ne '' && index($text, $code) != 0 ? "$code $text" : $text;
    my $inReply = $cmd ne '' ? ' (in reply to ' . ($commandWords{$cmd} // $cmd) . ' command)' : '';
    my $mail = join("\n",
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
    my $v = eval { Sisimai->make(\$mail) };
    unless ($v && @$v) {
        warn "$id: Sisimai found no bounce\n";
        next;
    }
    my $d = $v->[0];
    my $hs = $d->softbounce == 0 ? 'hard' : ($d->softbounce == 1 ? 'soft' : '');
    print join("\t", $id, $code, $dsn, $cmd, $text, $d->reason, $hs, "$source (Sisimai status " . ($d->deliverystatus // '') . ")", $rhost), "\n";
}

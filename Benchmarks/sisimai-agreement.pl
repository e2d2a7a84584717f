#!/usr/bin/env perl
# Compares bouncetail's classification of the labelled diagnostics (Tests/Data/diagnostics.tsv) with Sisimai's
# verdict on a bounce message carrying the same status and diagnostic text. Needs Debian's libsisimai-perl
# (Sisimai 4.25) and a built bouncetail; run by hand: perl Benchmarks/sisimai-agreement.pl [path/to/bouncetail]
use strict;
use warnings;
use Sisimai;
use JSON::PP;

my $bin = shift // '.build/debug/bouncetail';
open(my $fh, '<', 'Tests/Data/diagnostics.tsv') or die "Tests/Data/diagnostics.tsv: $!";
my ($n, $reasonSame, $hardSame, $labelSame, $sisimaiLabel) = (0, 0, 0, 0, 0);
# Sisimai 4 has no v5 reasons: map ours back to the v4 names before comparing (its own README's mapping).
my %v4 = (authfailure => 'securityerror', badreputation => 'blocked', requireptr => 'blocked',
          notcompliantrfc => 'securityerror', speeding => 'securityerror');
my ($decided, $decidedSame) = (0, 0);
my %confusion;
while (my $line = <$fh>) {
    next if $line =~ /^#/;
    chomp $line;
    my ($status, $dsn, $label, $bounce, $fault, $source, $text) = split /\t/, $line, 7;
    next if $status eq 'expired';
    my $code = $dsn ne '' ? $dsn : ($status eq 'deferred' ? '4.0.0' : '5.0.0');
    my $mail = join("\n",
        'From MAILER-DAEMON Mon Nov 23 10:00:00 2026', 'Return-Path: <>',
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>', 'To: sender@example.org',
        'Subject: Undelivered Mail Returned to Sender', 'Date: Mon, 23 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"', '', '--B',
        'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.org', '',
        'Final-Recipient: rfc822; rcpt@example.net', 'Action: failed', "Status: $code",
        "Diagnostic-Code: smtp; $text", '', '--B', 'Content-Type: message/rfc822', '',
        'From: sender@example.org', 'To: rcpt@example.net', 'Subject: hi', '', 'hi', '--B--', '');
    my $v = Sisimai->make(\$mail);
    next unless defined $v && @$v;
    my $theirs = $v->[0]->reason;
    my $theirHard = $v->[0]->softbounce == 0 ? 'hard' : 'soft';
    my @cmd = ($bin, 'explain', '--json', '--status', $status eq 'softbounce' ? 'bounced' : $status);
    push @cmd, ('--dsn', $dsn) if $dsn ne '';
    push @cmd, '--', $text;
    open(my $p, '-|', @cmd) or die "$bin: $!";
    my $ours = decode_json(join('', <$p>));
    close $p;
    $n++;
    $reasonSame++ if $ours->{reason} eq $theirs;
    my $oursV4 = $v4{$ours->{reason}} // $ours->{reason};
    if ($theirs ne 'onhold' && $theirs ne 'undefined') {
        $decided++;
        $decidedSame++ if $oursV4 eq $theirs;
    }
    $hardSame++ if $ours->{bounce} eq $theirHard;
    $labelSame++ if $ours->{reason} eq $label;
    $sisimaiLabel++ if $theirs eq $label;
    $confusion{"$label -> sisimai $theirs"}++ if $theirs ne $label;
}
printf "rows compared: %d\n", $n;
printf "bouncetail = Sisimai on reason:     %5.1f%%\n", 100 * $reasonSame / $n;
printf "bouncetail = Sisimai on hard/soft:  %5.1f%%\n", 100 * $hardSame / $n;
printf "same, where Sisimai decided (%d rows), v5 reasons mapped to v4: %5.1f%%\n", $decided, 100 * $decidedSame / $decided;
printf "bouncetail = label on reason:       %5.1f%%\n", 100 * $labelSame / $n;
printf "Sisimai    = label on reason:       %5.1f%%\n", 100 * $sisimaiLabel / $n;
print "most frequent label/Sisimai differences:\n";
my @top = (sort { $confusion{$b} <=> $confusion{$a} } keys %confusion)[0 .. 14];
printf "  %3d  %s\n", $confusion{$_}, $_ for grep { defined } @top;

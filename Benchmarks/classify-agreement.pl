#!/usr/bin/env perl
# Agreement of bouncetail's classifier with Sisimai's verdicts on real bounce texts.
#
# Each labelled row (TSV: id, smtp_reply_code, enhanced_status, smtp_command, diagnostic_text, sisimai_reason,
# hard_or_soft, ...) becomes one Postfix delivery line, as a log carries a bounce:
#   ... dsn=X.Y.Z, status=bounced (host mx.example.net[192.0.2.1] said: TEXT (in reply to RCPT TO command))
# bouncetail scans all of them in one run; its reason and hard/soft are compared with the label.
#
# Rows are split in two halves by a hash of their text: rules are written from the "learn" half only, and the
# "held out" half is the honest figure (quoted in the README and docs/CLASSIFICATION.md).
#
# Usage: perl Benchmarks/classify-agreement.pl [--bin PATH] [--misses learn|all] [--sisimai] [TSV ...]
#   default sets: ../shared/corpus/bounces/sisimai-labelled.tsv (when present) and Benchmarks/bounces/*.tsv
#   --sisimai     also runs Sisimai (Debian libsisimai-perl) on a bounce built from the same log line only
#   --misses      prints the rows bouncetail gets wrong (of the learn half, or of all rows)
use strict;
use warnings;
use Digest::MD5 qw(md5);
use File::Temp qw(tempfile);
use JSON::PP;
use Getopt::Long;

my $bin = '.build/release/bouncetail';
my ($misses, $withSisimai) = ('', 0);
GetOptions('bin=s' => \$bin, 'misses=s' => \$misses, 'sisimai' => \$withSisimai) or die "bad options\n";
my @sets = @ARGV;
if (!@sets) {
    push @sets, '../shared/corpus/bounces/sisimai-labelled.tsv' if -e '../shared/corpus/bounces/sisimai-labelled.tsv';
    push @sets, sort glob('Benchmarks/bounces/*.tsv');
}
die "no labelled sets found\n" unless @sets;
-x $bin or die "$bin: not built (swift build -c release)\n";

# Hard in Sisimai's sense: the address itself is bad.
my %hardReasons = map { $_ => 1 } qw(userunknown hostunknown hasmoved);

sub half { my ($text) = @_; return (unpack('C', md5($text)) & 1) ? 'learn' : 'heldout' }

my @rows;
for my $set (@sets) {
    open(my $fh, '<', $set) or die "$set: $!\n";
    my $header = <$fh>;
    while (my $l = <$fh>) {
        chomp $l;
        next if $l =~ /^\s*(#|$)/;
        my @f = split /\t/, $l, -1;
        my ($id, $code, $dsn, $cmd, $text, $reason, $hs, undef, $rhost) = @f;
        next unless defined $reason && $reason ne '' && $reason ne 'delivered' && $reason ne 'feedback' && $reason ne 'vacation';
        $hs = ($hardReasons{$reason} || ($reason eq 'notaccept' && $dsn !~ /^4/)) ? 'hard' : 'soft' if !defined $hs || $hs eq '';
        $text =~ s/[\r\n\t]+/ /g;
        push @rows, { set => $set, id => $id, code => $code, dsn => $dsn, cmd => $cmd, text => $text,
                      reason => $reason, hs => $hs,
                      rhost => (defined $rhost && $rhost ne '' ? $rhost : 'mx.example.net'), half => half("$code|$dsn|$cmd|$text") };
    }
}

# One Postfix line per row.
my ($lfh, $log) = tempfile(SUFFIX => '.log', UNLINK => 1);
binmode $lfh;
my %commandWords = (RCPT => 'RCPT TO', MAIL => 'MAIL FROM', DATA => 'end of DATA', EHLO => 'EHLO', HELO => 'HELO',
                    QUIT => 'QUIT', CONN => 'CONNECT', STARTTLS => 'STARTTLS', AUTH => 'AUTH');
my $n = 0;
for my $r (@rows) {
    $n++;
    my $dsn = $r->{dsn} ne '' ? $r->{dsn} : '5.0.0';
    my $said = $r->{text};
    my $inReply = $r->{cmd} ne '' ? ' (in reply to ' . ($commandWords{$r->{cmd}} // $r->{cmd}) . ' command)' : '';
    $r->{line} = sprintf('Dec  2 10:%02d:%02d mx postfix/smtp[%d]: 4Q%08dZ: to=<rcpt%d@example.net>, '
        . 'relay=%s[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=%s, status=bounced '
        . '(host %s[192.0.2.1] said: %s%s)',
        int($n / 60) % 60, $n % 60, 1000 + $n, $n, $n, $r->{rhost}, $dsn, $r->{rhost}, $said, $inReply);
    print $lfh $r->{line}, "\n";
}
close $lfh;

open(my $scan, '-|', $bin, 'scan', '--format', 'postfix', '--timezone', 'UTC', '--year', '2026', $log) or die "$bin: $!\n";
my %byLine;
while (my $j = <$scan>) {
    my $o = decode_json($j);
    $byLine{$o->{line}} = $o;
}
close $scan;

# Sisimai reading only what the log line carries: the bounce Postfix would send for it (Benchmarks/sisimai-label.pl).
if ($withSisimai) {
    my ($ifh, $in) = tempfile(SUFFIX => '.tsv', UNLINK => 1);
    binmode $ifh;
    my $k = 0;
    for my $r (@rows) {
        $k++;
        print $ifh join("\t", "R$k", $r->{code}, $r->{dsn} ne '' ? $r->{dsn} : '5.0.0', $r->{cmd}, $r->{text}, $r->{rhost}), "\n";
    }
    close $ifh;
    open(my $lab, '-|', "perl Benchmarks/sisimai-label.pl line < $in 2>/dev/null") or die "sisimai-label.pl: $!\n";
    my %theirs;
    <$lab>;
    while (my $l = <$lab>) {
        chomp $l;
        my @f = split /\t/, $l, -1;
        $theirs{$f[0]} = [$f[5], $f[6]];
    }
    close $lab;
    $k = 0;
    for my $r (@rows) {
        $k++;
        ($r->{sisimai}, $r->{sisimaiHS}) = @{ $theirs{"R$k"} // ['none', 'soft'] };
    }
}

my (%total, %sameReason, %sameHS, %sisReason, %sisHS, %confusion, %recallN, %recallHit);
my $lineNo = 0;
for my $r (@rows) {
    $lineNo++;
    my $o = $byLine{$lineNo};
    my $ours = $o ? ($o->{reason} // 'none') : 'not scanned';
    my $oursHS = $o ? ($o->{bounce} // 'none') : 'none';
    for my $k ('all', $r->{half}, "set:$r->{set}") {
        $total{$k}++;
        $sameReason{$k}++ if $ours eq $r->{reason};
        $sameHS{$k}++ if $oursHS eq $r->{hs};
        if ($withSisimai) {
            $sisReason{$k}++ if $r->{sisimai} eq $r->{reason};
            $sisHS{$k}++ if $r->{sisimaiHS} eq $r->{hs};
        }
    }
    $recallN{$r->{reason}}++;
    $recallHit{$r->{reason}}++ if $ours eq $r->{reason};
    $confusion{$r->{reason}}{$ours}++;
    if (($misses eq 'all' || $misses eq $r->{half}) && ($ours ne $r->{reason} || $oursHS ne $r->{hs})) {
        printf "MISS %s %s: want %s/%s got %s/%s\n     %s\n", $r->{id}, $r->{half}, $r->{reason}, $r->{hs}, $ours, $oursHS,
            substr($r->{line}, index($r->{line}, 'dsn=')), ;
    }
}

sub pct { my ($a, $b) = @_; return $b ? sprintf('%5.1f %%', 100 * ($a // 0) / $b) : '    -' }
print "\n";
printf "%-52s %6s %9s %9s%s\n", 'rows', 'n', 'reason', 'hard/soft', $withSisimai ? '   Sisimai(line): reason hard/soft' : '';
for my $k ('all', 'learn', 'heldout', sort grep { /^set:/ } keys %total) {
    next unless $total{$k};
    printf "%-52s %6d %9s %9s%s\n", $k, $total{$k}, pct($sameReason{$k}, $total{$k}), pct($sameHS{$k}, $total{$k}),
        $withSisimai ? sprintf('   %9s %9s', pct($sisReason{$k}, $total{$k}), pct($sisHS{$k}, $total{$k})) : '';
}
print "\nper-reason recall (label: rows, bouncetail agrees):\n";
for my $reason (sort { $recallN{$b} <=> $recallN{$a} || $a cmp $b } keys %recallN) {
    printf "  %-16s %4d  %s\n", $reason, $recallN{$reason}, pct($recallHit{$reason}, $recallN{$reason});
}
print "\nconfusion (label -> bouncetail, disagreements only, most frequent first):\n";
my @pairs;
for my $want (keys %confusion) {
    for my $got (keys %{ $confusion{$want} }) { push @pairs, [$confusion{$want}{$got}, $want, $got] if $want ne $got }
}
for my $p (sort { $b->[0] <=> $a->[0] || $a->[1] cmp $b->[1] } @pairs) { printf "  %4d  %-16s -> %s\n", @$p }

#!/usr/bin/env bash
# The libmdbx-style chain: randomized workload -> [chk] -> copy -> [chk] -> compact copy ->
# [chk] -> dump -> load -> dump, identical; plus the CLI's error paths for copy, dump, load and
# drop. `emdb chk` steps run when the CLI has that subcommand.
# Usage: chain.sh EMDB MAKE_DB WORKDIR
set -euo pipefail
EMDB=$1 MAKE_DB=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
fail() { echo "FAILED: $*" >&2; exit 1; }
have_chk=0
if "$EMDB" --help | grep -Eq '^ +chk( |$)'; then have_chk=1; fi
chk() { if [ $have_chk = 1 ]; then "$EMDB" chk "$1" > /dev/null || fail "emdb chk $1"; fi; }

"$MAKE_DB" src "${EMDB_CHAIN_RECORDS:-20000}"
chk src
"$EMDB" copy --no-progress src copy.emdb
chk copy.emdb
"$EMDB" copy -c copy.emdb compact.emdb
chk compact.emdb
[ "$(stat -c %s compact.emdb)" -lt "$(stat -c %s copy.emdb)" ] || fail "the compact copy is not smaller"
"$EMDB" copy -c - < /dev/null > /dev/null 2>&1 && fail "copy without SRC succeeded"
# -p (EMDB_CP_THROTTLE_MVCC): with no writer nothing ousts it; the same files as without.
"$EMDB" copy -p --no-progress src throttled.emdb
cmp throttled.emdb copy.emdb || fail "a copy with -p differs from a plain copy"
"$EMDB" copy -p -c copy.emdb throttled-compact.emdb
cmp throttled-compact.emdb compact.emdb || fail "a compact copy with -p differs"
chk throttled-compact.emdb
# The compact copy has no free pages: everything past the metas is a table page.
free_of() { "$EMDB" stat -f "$1" | sed -n 's/^  Pages free or in the GC tree.*: //p'; }
[ "$(free_of compact.emdb)" = 0 ] || fail "the compact copy has free pages: $(free_of compact.emdb)"
[ "$(free_of copy.emdb)" -gt 0 ] || fail "the workload left no free pages to drop"
"$EMDB" copy -c src - > piped.emdb
chk piped.emdb
cmp piped.emdb compact.emdb || fail "compact copies to a file and to a pipe differ"
"$EMDB" dump -a src > d0.txt
"$EMDB" dump -a compact.emdb > d1.txt
cmp d0.txt d1.txt || fail "the compact copy's dump differs from the source's"
"$EMDB" load -f d1.txt loaded
chk loaded
"$EMDB" dump -a loaded > d2.txt
cmp d1.txt d2.txt || fail "dump -> load -> dump is not identical"
"$EMDB" dump -a -f d3.txt loaded
cmp d2.txt d3.txt || fail "dump -f differs from dump to stdout"
# load -a (append) of sorted input gives the same database content.
"$EMDB" load -a -f d1.txt appended
"$EMDB" dump -a appended | cmp - d1.txt || fail "load -a differs"
# load -N keeps existing records: loading the same dump again changes nothing.
"$EMDB" load -N -f d1.txt loaded
"$EMDB" dump -a loaded | cmp - d1.txt || fail "load -N changed the database"

# Long lines: a 1.5 MB value (more than the loader's first buffer) through -T, dump, load.
{ printf 'big\n'; head -c 1500000 /dev/zero | tr '\0' 'v'; printf '\nsmall\nx\n'; } > big.txt
"$EMDB" load -T -s big -f big.txt bigdb
"$EMDB" dump -s big bigdb > big-dump.txt
"$EMDB" load -f big-dump.txt bigdb2
"$EMDB" dump -s big bigdb2 | cmp - big-dump.txt || fail "a 1.5 MB value did not survive"
[ "$(wc -c < big-dump.txt)" -gt 3000000 ] || fail "the big value is missing from the dump"

# The progress bar path (stderr on a terminal, through script(1)): the copy goes through a pipe
# to the CLI, which writes DEST; the result is the same file as a direct compact copy.
if command -v script >/dev/null; then
  script -qec "'$EMDB' copy -c --progress src progress.emdb" /dev/null > progress.out ||
    fail "copy with a progress bar: $(cat progress.out)"
  cmp progress.emdb compact.emdb || fail "the copy made with a progress bar differs"
  grep -q "compact copy" progress.out || fail "no progress bar drawn on a terminal"
  script -qec "'$EMDB' dump --progress -a -f progress-dump.txt src" /dev/null > /dev/null
  cmp progress-dump.txt d0.txt || fail "dump with a progress bar differs"
fi
# Not on a pipe unless asked: stderr stays empty.
"$EMDB" dump -a src 2> progress.err > /dev/null
[ ! -s progress.err ] || fail "a progress bar was drawn on a pipe: $(cat progress.err)"

# Empty databases and empty tables copy and dump too.
printf '' | "$EMDB" load -T empty1
"$EMDB" copy -c empty1 empty1-c.emdb
"$EMDB" copy empty1 empty1-p.emdb
[ -z "$("$EMDB" dump -l empty1-c.emdb)" ] || fail "tables appeared in an empty copy"
printf 'VERSION=3\nformat=bytevalue\ndatabase=none\ntype=btree\nHEADER=END\nDATA=END\n' |
  "$EMDB" load empty2
"$EMDB" copy -c empty2 empty2-c.emdb
[ "$("$EMDB" dump -l empty2-c.emdb)" = none ] || fail "the empty table is missing from the copy"
"$EMDB" dump -a empty2-c.emdb | grep -q '^database=none$' || fail "cannot dump the empty table"

# drop: empty a table, then delete it.
"$EMDB" drop -s plain loaded
[ "$("$EMDB" stat -s plain loaded | sed -n 's/^  Entries: //p')" = 0 ] || fail "drop did not empty"
"$EMDB" drop -d -s plain loaded
"$EMDB" dump -l loaded | grep -qx plain && fail "drop -d did not delete the table"

# Error paths: non-zero exit and one line naming the file and the cause.
expect_error() {  # expect_error CODE REGEX CMD...
  local code=$1 regex=$2
  shift 2
  set +e
  "$@" > out.txt 2> err.txt
  local rc=$?
  set -e
  [ $rc = "$code" ] || fail "'$*' exited $rc, expected $code: $(cat err.txt)"
  grep -Eq "$regex" err.txt || fail "'$*': stderr '$(cat err.txt)' does not match '$regex'"
}
expect_error 1 "no-such-db: cannot open: No such file" "$EMDB" copy no-such-db x.emdb
expect_error 1 "copy.emdb: cannot create the copy \(it exists; -f overwrites it\)" \
  "$EMDB" copy src copy.emdb
"$EMDB" copy -f -c src copy.emdb || fail "copy -f did not overwrite"
expect_error 1 "no-dir/x.emdb: cannot create or write the copy: No such file" "$EMDB" copy src no-dir/x.emdb
expect_error 1 "no-such-db: cannot open: No such file" "$EMDB" dump no-such-db
expect_error 1 "no table named 'nope'" "$EMDB" dump -s nope src
expect_error 2 "excludes" "$EMDB" dump -a -s plain src
expect_error 1 "no-such-file.txt: cannot open the input: No such file" \
  "$EMDB" load -f no-such-file.txt newdb
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 6162\n 6x\nDATA=END\n' > bad-hex.txt
expect_error 1 "bad-hex.txt:6: bad value: not a hex digit" "$EMDB" load -f bad-hex.txt bad1
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 616\n 62\nDATA=END\n' > odd.txt
expect_error 1 "odd.txt:5: bad key: odd number of hex digits" "$EMDB" load -f odd.txt bad2
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 61\n 62\n' > noend.txt
expect_error 1 "noend.txt:6: unexpected end of input: no DATA=END" "$EMDB" load -f noend.txt bad3
printf 'VERSION=4\n' > badver.txt
expect_error 1 "badver.txt:1: unsupported VERSION" "$EMDB" load -f badver.txt bad4
printf 'VERSION=3\ntype=hash\n' > badtype.txt
expect_error 1 "badtype.txt:2: unsupported type 'hash'" "$EMDB" load -f badtype.txt bad5
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n a\\zz\n b\nDATA=END\n' > badesc.txt
expect_error 1 "badesc.txt:5: bad key: bad \\\\ escape" "$EMDB" load -f badesc.txt bad6
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\nxx\n' > nospace.txt
expect_error 1 "nospace.txt:5: expected a data line starting with a space" \
  "$EMDB" load -f nospace.txt bad7
expect_error 2 "bad geometry \(-G\): unknown geometry field 'x'" \
  "$EMDB" load -G x1 -f d1.txt bad8
expect_error 2 "bad geometry \(-G\): bad size suffix 'Q'" "$EMDB" load -G u1Q -f d1.txt bad9
expect_error 1 "bad10: bad geometry: Invalid argument" \
  "$EMDB" load -G l1G,u1M -f d1.txt bad10
# A table that exists with other flags.
"$EMDB" dump -s dups src > dups.txt
expect_error 1 "cannot open or create table 'plain'" "$EMDB" load -s plain -f dups.txt appended
expect_error 1 "no-such-db: cannot open: No such file" "$EMDB" drop -s plain no-such-db
expect_error 1 "no table named 'nope'" "$EMDB" drop -s nope loaded
expect_error 2 "table" "$EMDB" drop loaded
echo "OK: workload -> copy -> compact copy -> dump -> load -> dump identical; error paths"

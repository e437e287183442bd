#!/usr/bin/env bash
# Interoperability of `emdb dump` / `emdb load` with LMDB's mdb_dump / mdb_load (lmdb-utils):
#  1. a database with plain, DUPSORT, DUPFIXED and INTEGERKEY tables dumped by `emdb dump`
#     loads with mdb_load, and mdb_dump writes the same text back (libmdbx's extra "dupfix=1"
#     line aside, which mdb_dump does not write);
#  2. an mdb_dump of an LMDB database loads with `emdb load` and reads back record by record;
#  3. print format (-p) and plain text (-T) go both ways too.
# Usage: interop.sh EMDB MAKE_DB WORKDIR. Exit 77 (skipped) without lmdb-utils.
set -euo pipefail
EMDB=$1 MAKE_DB=$2 WORK=$3
for tool in mdb_dump mdb_load; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: $tool not found (install lmdb-utils)"
    exit 77
  fi
done
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
fail() { echo "FAILED: $*" >&2; exit 1; }

"$MAKE_DB" emdb-src "${EMDB_INTEROP_RECORDS:-20000}"
tables=$("$EMDB" dump -l emdb-src | tr '\n' ' ')
[ "$tables" = "dups fixed ints plain " ] || fail "unexpected tables: $tables"

# 1. emdb -> LMDB -> text, per table and with -a.
mkdir lmdb
for t in plain dups fixed ints; do
  "$EMDB" dump -s "$t" emdb-src > "emdb-$t.txt"
  mdb_load -s "$t" lmdb < "emdb-$t.txt" 2> "mdb_load-$t.err" || fail "mdb_load of table $t"
  mdb_dump -s "$t" lmdb > "lmdb-$t.txt"
  grep -v '^dupfix=1$' "emdb-$t.txt" | diff -u - "lmdb-$t.txt" > "diff-$t.txt" ||
    fail "table $t: mdb_dump differs from emdb dump (see $WORK/diff-$t.txt)"
done
grep -q '^dupfixed=1$' emdb-fixed.txt || fail "no dupfixed=1 line for the DUPFIXED table"
grep -q '^dupfix=1$' emdb-fixed.txt || fail "no dupfix=1 line (libmdbx spelling)"
grep -q '^integerkey=1$' emdb-ints.txt || fail "no integerkey=1 line"
grep -q '^duplicates=1$' emdb-dups.txt || fail "no duplicates=1 line"
"$EMDB" dump -a emdb-src | grep -v '^dupfix=1$' > emdb-all.txt
mdb_dump -a lmdb > lmdb-all.txt
diff -u emdb-all.txt lmdb-all.txt > diff-all.txt || fail "dump -a differs (see $WORK/diff-all.txt)"
# The LMDB side really has the flags: mdb_dump printed them from its own database.
grep -q '^dupfixed=1$' lmdb-fixed.txt || fail "LMDB lost DUPFIXED"

# 2. LMDB -> emdb: mdb_dump -a loads with emdb load; every record reads back.
"$EMDB" load -f lmdb-all.txt emdb-back
"$EMDB" dump -a emdb-back | grep -v '^dupfix=1$' > emdb-back.txt
diff -u lmdb-all.txt emdb-back.txt > diff-back.txt || fail "LMDB -> emdb differs (see $WORK/diff-back.txt)"
for t in plain dups fixed ints; do
  n_src=$("$EMDB" stat -s "$t" emdb-src | sed -n 's/^  Entries: //p')
  n_back=$("$EMDB" stat -s "$t" emdb-back | sed -n 's/^  Entries: //p')
  [ "$n_src" = "$n_back" ] || fail "table $t: $n_src entries, $n_back after the round trip"
  "$EMDB" stat -s "$t" emdb-back | grep -q "Flags: $( "$EMDB" stat -s "$t" emdb-src | sed -n 's/^  Flags: //p')" ||
    fail "table $t: flags changed"
done

# 3. print format both ways, and plain text input.
"$EMDB" dump -p -s plain emdb-src > emdb-plain-p.txt
mkdir lmdb-p
mdb_load -s plain lmdb-p < emdb-plain-p.txt 2>/dev/null
mdb_dump -s plain lmdb-p > lmdb-plain-from-p.txt
diff -u lmdb-plain.txt lmdb-plain-from-p.txt > diff-p.txt || fail "print format differs (see $WORK/diff-p.txt)"
# LMDB's mdb_dump -p writes a backslash bare (ambiguous), so its print output is checked on a
# table without backslashes; the escapes \00 and \ff must come through.
printf 'alpha\none\nbeta\\00\\ff\ntwo\n' > plain.txt
mkdir lmdb-t
mdb_load -T -s text lmdb-t < plain.txt
mdb_dump -p -s text lmdb-t > lmdb-t-p.txt
"$EMDB" load -f lmdb-t-p.txt emdb-t
"$EMDB" dump -p -s text emdb-t | grep -v '^dupfix=1$' | diff -u lmdb-t-p.txt - > diff-t.txt ||
  fail "print format LMDB -> emdb differs (see $WORK/diff-t.txt)"
# Plain text input (-T) gives the same records in both.
"$EMDB" load -T -s text -f plain.txt emdb-T
"$EMDB" dump -s text emdb-T | diff -u <(mdb_dump -s text lmdb-t | sed 's/^mapsize=.*//') \
  <(sed 's/^mapsize=.*//') > diff-T.txt || fail "plain text (-T) differs (see $WORK/diff-T.txt)"
echo "OK: emdb dump/load and LMDB's mdb_dump/mdb_load agree"

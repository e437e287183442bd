// The text format of `emdb dump` / `emdb load`: Berkeley DB's db_dump format as LMDB's
// mdb_dump/mdb_load and libmdbx's mdbx_dump/mdbx_load write and read it (docs/tools.md).
//
//   VERSION=3
//   format=bytevalue            (or print)
//   database=NAME               (named tables only)
//   type=btree
//   mapsize=BYTES
//   maxreaders=N
//   duplicates=1                (DUPSORT; then one NAME=1 line per table flag, see kTableFlags)
//   db_pagesize=BYTES
//   HEADER=END
//    <key>                      (one leading space; hex pairs, or printable text with \xx escapes)
//    <value>
//   DATA=END
//
// DUPFIXED is spelled "dupfixed" by LMDB and "dupfix" by libmdbx; each loader ignores the
// other's word, so `emdb dump` writes both and `emdb load` accepts either.
#pragma once

#include <emdb/emdb.h>

namespace emdb_tool {

struct TableFlagWord {
  unsigned bit;
  const char *word;
};

// The flag lines in the order mdb_dump writes them.
inline constexpr TableFlagWord kTableFlags[] = {
    {EMDB_REVERSEKEY, "reversekey"}, {EMDB_DUPSORT, "dupsort"},
    {EMDB_INTEGERKEY, "integerkey"}, {EMDB_DUPFIXED, "dupfixed"},
    {EMDB_INTEGERDUP, "integerdup"}, {EMDB_REVERSEDUP, "reversedup"}};

// Extra words accepted by `emdb load` (libmdbx's spellings).
inline constexpr TableFlagWord kTableFlagAliases[] = {{EMDB_DUPSORT, "duplicates"},
                                                      {EMDB_DUPFIXED, "dupfix"}};

}  // namespace emdb_tool

// temp_dir.hpp — a unique scratch directory for one test.
//
// The directory is created under $TMPDIR (or /tmp) with mkdtemp(3) and removed, with everything
// in it, by the destructor — unless keep() was called, which a fixture does when its test failed
// so the database files stay around for a post-mortem. Not thread-safe; one owner.
#pragma once

#include <string>

namespace emdb_test {

class TempDir {
 public:
  // Creates <tmp>/emdb-<tag>-XXXXXX. `tag` is sanitized to [A-Za-z0-9_.-].
  // Aborts the process (with a message) if the directory cannot be created.
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Leaves the directory on disk when this object is destroyed (prints where it is).
  void keep() { keep_ = true; }
  bool kept() const { return keep_; }

 private:
  std::string path_;
  bool keep_ = false;
};

// Removes a file or a directory tree. Returns true if nothing is left at `path`.
bool remove_tree(const std::string& path);
// True if something exists at `path`.
bool path_exists(const std::string& path);
// Size in bytes of the file at `path` (stat(2)), or -1.
long long file_size(const std::string& path);

}  // namespace emdb_test

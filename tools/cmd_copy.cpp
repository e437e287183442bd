// emdb copy — a consistent copy of a database, also while it is being written (mdb_copy,
// mdbx_copy).
//
//   emdb copy [-c] [-f] [-d] [-p] [--progress|--no-progress] SRC [DEST|-]
//
// Copies the snapshot of one read transaction with emdb_env_copy2fd. DEST is the data file of
// the copy (an existing directory gets DEST/emdb.dat); without DEST, or with "-", the copy goes
// to stdout. -p parks the read transaction while the copy writes (EMDB_CP_THROTTLE_MVCC, as
// mdbx_copy -p): a writer short of space may oust it; a copy into DEST then starts again on the
// newest snapshot, a copy through a pipe (stdout, or the progress bar) fails. See docs/tools.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"

namespace emdb_tool {
namespace {

struct CopyOptions {
  bool compact = false;
  bool force = false;
  bool dynamic = false;
  bool throttle = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::string src;
  std::string dest;
};

int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= size_t(w);
  }
  return 0;
}

// The copy through a pipe: a thread runs emdb_env_copy2fd into it (the read transaction is
// the thread's), this thread moves the bytes to `out` and draws the progress bar.
int copy_with_progress(EMDB_env *env, int out, EMDB_copy_flags_t flags, Progress &progress,
                       int &write_error, std::uint64_t &done) {
  int fds[2];
  if (::pipe(fds) != 0) return errno;
  std::atomic<int> copy_rc{0};
  std::thread copier([&] {
    copy_rc = emdb_env_copy2fd(env, fds[1], flags | EMDB_CP_DONT_FLUSH);
    ::close(fds[1]);
  });
  std::vector<char> buf(size_t(1) << 20);
  done = 0;
  for (;;) {
    const ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (write_error == 0) write_error = write_all(out, buf.data(), size_t(n));
    done += uint64_t(n);
    progress.update(done);
  }
  ::close(fds[0]);  // a writer still blocked gets EPIPE and stops
  copier.join();
  return copy_rc.load();
}

int run_copy(const CopyOptions &opt) {
  const bool to_stdout = opt.dest.empty() || opt.dest == "-";
  if (to_stdout && isatty(STDOUT_FILENO) == 1) {
    report_error("stdout", "refusing to write a database to a terminal (give DEST, or redirect)");
    return kExitUsage;
  }
  ReadOnlyEnv env;
  if (env.open(opt.src, 0) != EMDB_SUCCESS) return kExitFailure;

  std::string dest_path = to_stdout ? std::string("stdout") : opt.dest;
  if (!to_stdout) {
    struct stat st;
    if (::stat(opt.dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dest_path += "/emdb.dat";
  }
  unsigned flags = 0;
  if (opt.compact) flags |= EMDB_CP_COMPACT;
  if (opt.dynamic) flags |= EMDB_CP_FORCE_DYNAMIC_SIZE;
  if (opt.force) flags |= EMDB_CP_OVERWRITE;
  if (opt.throttle) flags |= EMDB_CP_THROTTLE_MVCC;

  int rc = EMDB_SUCCESS;
  int write_error = 0;
  bool created = false;
  EMDB_envinfo info{};
  std::uint64_t total = 0;
  if (emdb_env_info_ex(env.get(), nullptr, &info, sizeof info) == EMDB_SUCCESS) {
    total = (info.mi_last_pgno + 1) * std::uint64_t(info.mi_dxb_pagesize);
  }
  Progress progress(opt.compact ? "compact copy" : "copy", total, opt.progress, "bytes");
  if (!progress.enabled()) {
    // The library creates DEST (with direct I/O where the file system has it) and flushes it.
    rc = to_stdout
             ? emdb_env_copy2fd(env.get(), STDOUT_FILENO, static_cast<EMDB_copy_flags_t>(flags))
             : emdb_env_copy(env.get(), dest_path.c_str(), static_cast<EMDB_copy_flags_t>(flags));
    if (rc == EEXIST) {
      report_error(dest_path, "cannot create the copy (it exists; -f overwrites it)", rc);
      return kExitFailure;
    }
  } else {
    int out = STDOUT_FILENO;
    if (!to_stdout) {
      const int oflags = O_WRONLY | O_CREAT | O_CLOEXEC | (opt.force ? O_TRUNC : O_EXCL);
      out = ::open(dest_path.c_str(), oflags, 0644);
      if (out < 0) {
        const int e = errno;
        report_error(dest_path,
                     e == EEXIST ? "cannot create the copy (it exists; -f overwrites it)"
                                 : "cannot create the copy",
                     e);
        return kExitFailure;
      }
      created = true;
    }
    const unsigned pipe_flags = flags & ~unsigned(EMDB_CP_OVERWRITE);
    std::uint64_t done = 0;
    rc = copy_with_progress(env.get(), out, static_cast<EMDB_copy_flags_t>(pipe_flags), progress,
                            write_error, done);
    if (rc == EMDB_SUCCESS && write_error == 0) {
      progress.set_total(done);  // a compact copy is smaller than the estimate
      progress.finish();
    }
    if (rc == EMDB_SUCCESS && write_error == 0 && !to_stdout && ::fdatasync(out) != 0) {
      write_error = errno;
    }
    if (created && ::close(out) != 0 && rc == EMDB_SUCCESS && write_error == 0) {
      write_error = errno;
    }
  }

  if (rc != EMDB_SUCCESS || write_error != 0) {
    if (write_error != 0) {
      report_error(dest_path, "cannot write the copy", write_error);
    } else if (rc > 0) {
      // An errno: SRC is open and mapped already, so this is about creating or writing DEST.
      report_error(dest_path, "cannot create or write the copy", rc);
    } else {
      report_error(opt.src, "cannot copy", rc);
    }
    if (created) ::unlink(dest_path.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Command add_copy_command(CLI::App &app) {
  auto opt = std::make_shared<CopyOptions>();
  CLI::App *cmd = app.add_subcommand(
      "copy", "Copy a database (a consistent snapshot, also while it is being written)");
  cmd->add_flag("-c,--compact", opt->compact,
                "Compact: renumber the pages, leave out free ones (EMDB_CP_COMPACT)");
  cmd->add_flag("-f,--force", opt->force, "Overwrite DEST if it exists");
  cmd->add_flag("-d,--dynamic", opt->dynamic,
                "Make the copy's size dynamic: lower bound at the minimum, growth and shrink "
                "steps set (EMDB_CP_FORCE_DYNAMIC_SIZE)");
  cmd->add_flag("-p,--throttle-mvcc", opt->throttle,
                "Park the read transaction while writing, so a writer short of space may oust "
                "it; the copy then restarts on the newest snapshot (EMDB_CP_THROTTLE_MVCC)");
  add_progress_options(*cmd, &opt->progress);
  cmd->add_option("SRC", opt->src, "Database directory or data file to copy")->required();
  cmd->add_option("DEST", opt->dest,
                  "Data file of the copy (an existing directory gets DEST/emdb.dat); '-' or "
                  "none: stdout");
  return {cmd, [opt] { return run_copy(*opt); }};
}

}  // namespace emdb_tool

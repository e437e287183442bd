// engine/os/bootid.hpp — the identity of the running system boot.
//
// Every commit stores the boot id in its meta. At open, a weak meta (SAFE_NOSYNC) written in
// this same boot is trusted: only a process died, and its pages are in the OS page cache. A weak
// meta from another boot may point at pages that never reached the disk, so the database rolls
// back to the newest steady meta (docs/durability.md "Recovery at open").
//
// Source: /proc/sys/kernel/random/boot_id (a random UUID per boot on Linux). When it cannot be
// read the id is {0, 0}, which matches nothing: weak metas are then never trusted at open.
#pragma once

#include <cstdint>

namespace emdb::os {

struct BootId {
  uint64_t x = 0, y = 0;
  bool known() const { return x != 0 || y != 0; }
  bool operator==(const BootId&) const = default;
};

// The current boot id (read once per process, unless a test overrides it).
BootId CurrentBootId();

// Test hook: pretend the system rebooted (a simulated power loss). {0,0} restores the real id.
void TEST_SetBootId(BootId id);

}  // namespace emdb::os

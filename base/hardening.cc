#include "base/hardening.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace conclave {

HardeningReport HardenProcess() {
  HardeningReport report;
  struct rlimit no_core = {0, 0};
  // PR_SET_DUMPABLE 0 also stops same-user ptrace and /proc/PID/mem reads.
  report.core_dumps_disabled = setrlimit(RLIMIT_CORE, &no_core) == 0 &&
                               prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  // Keep secrets out of swap. Only when locking cannot run into the
  // locked-memory limit: with MCL_FUTURE under a finite limit, later
  // allocations would start to fail instead.
  struct rlimit memlock;
  const bool unlimited =
      geteuid() == 0 || (getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 &&
                         memlock.rlim_cur == RLIM_INFINITY);
  // MCL_ONFAULT: pages are locked as they are touched, so a new thread's
  // stack is not faulted in and locked whole.
  report.memory_locked =
      unlimited && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0;
  return report;
}

}  // namespace conclave

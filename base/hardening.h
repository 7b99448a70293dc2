// Process hardening for programs that hold secrets (shares, identity keys,
// log and witness keys): no core dumps, not attachable by ptrace from
// same-user processes, and memory locked where the system permits it.
#ifndef CONCLAVE_BASE_HARDENING_H_
#define CONCLAVE_BASE_HARDENING_H_

namespace conclave {

struct HardeningReport {
  bool core_dumps_disabled = false;
  bool memory_locked = false;  // mlockall; needs CAP_IPC_LOCK or a limit
};

// Call first thing in main(). Never fails: what could not be done is
// reported so that a program can say so (e.g. "memory not locked").
HardeningReport HardenProcess();

}  // namespace conclave

#endif  // CONCLAVE_BASE_HARDENING_H_

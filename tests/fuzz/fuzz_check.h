// A fuzz-target assertion that stays active in release builds: a violated
// property must crash so libFuzzer (or the corpus replay test) reports it.
#ifndef CONCLAVE_TESTS_FUZZ_FUZZ_CHECK_H_
#define CONCLAVE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                   \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#endif  // CONCLAVE_TESTS_FUZZ_FUZZ_CHECK_H_

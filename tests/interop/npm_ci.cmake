# ctest fixture: installs tests/interop/node_modules from package-lock.json
# with `npm ci` when it is missing or older than the lockfile. Nothing is
# downloaded beyond what the lockfile pins. Run as
#   cmake -DNPM=<npm> -DDIR=<tests/interop> -P npm_ci.cmake
if(NOT NPM)
  message(FATAL_ERROR "npm not found: install Node.js 20 with npm (scripts/install-deps says how)")
endif()
set(stamp "${DIR}/node_modules/.package-lock.json")
if(EXISTS "${stamp}" AND NOT "${DIR}/package-lock.json" IS_NEWER_THAN "${stamp}")
  message(STATUS "node_modules is up to date")
  return()
endif()
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund
                WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (exit ${rc})")
endif()

# Installs web/node_modules from package-lock.json with `npm ci` when it is
# missing or older than the lockfile. Nothing is downloaded beyond what the
# lockfile pins. Several build directories share the source tree, so the
# check and the install run under a lock. Run as
#   cmake -DNPM=<npm> -DDIR=<web> -P npm_ci.cmake
if(NOT NPM)
  message(FATAL_ERROR "npm not found: install Node.js 20 with npm (scripts/install-deps says how)")
endif()
file(LOCK "${DIR}/.npm-ci.lock" GUARD PROCESS TIMEOUT 900)
set(stamp "${DIR}/node_modules/.package-lock.json")
if(EXISTS "${stamp}")
  file(TIMESTAMP "${stamp}" stamp_time "%s" UTC)
  file(TIMESTAMP "${DIR}/package-lock.json" lock_time "%s" UTC)
  if(NOT lock_time GREATER stamp_time)
    return()
  endif()
endif()
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund
                WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (exit ${rc})")
endif()

# conclaved's witness client (brief §6): C2SP tlog-witness add-checkpoint to
# every organisation's witness, cosignatures checked against the roster.
# Included from daemon/CMakeLists.txt; paths are relative to this file so it
# works from any including directory.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
if(NOT TARGET PkgConfig::CPP_HTTPLIB)
  # Debian's libcpp-httplib-dev: <httplib.h> plus libcpp-httplib.so, built
  # with CPPHTTPLIB_OPENSSL_SUPPORT (its pkg-config Cflags say so; https
  # witness URLs depend on it).
  pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
endif()

add_library(conclave_daemon_witness STATIC
  ${CMAKE_CURRENT_LIST_DIR}/witness_client.cc)
target_link_libraries(conclave_daemon_witness
  PUBLIC conclave_audit
  PRIVATE PkgConfig::CPP_HTTPLIB Threads::Threads)

# ctest `install_consumer`: installs this build into a scratch prefix, then builds and runs a
# small C program against it twice, once through find_package(emdb) and once through
# pkg-config. Offline: everything comes from the build tree and the installed system packages.

find_program(EMDB_PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)

add_test(
  NAME install_consumer
  COMMAND
    "${CMAKE_COMMAND}"
    "-DEMDB_BINARY_DIR=${PROJECT_BINARY_DIR}"
    "-DEMDB_CONSUMER_SOURCE_DIR=${PROJECT_SOURCE_DIR}/cmake/consumer"
    "-DEMDB_WORK_DIR=${PROJECT_BINARY_DIR}/install_consumer"
    "-DEMDB_CONFIG=$<CONFIG>"
    "-DEMDB_LIBDIR=${CMAKE_INSTALL_LIBDIR}"
    "-DEMDB_GENERATOR=${CMAKE_GENERATOR}"
    "-DEMDB_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
    "-DEMDB_C_COMPILER=${CMAKE_C_COMPILER}"
    "-DEMDB_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
    "-DEMDB_SANITIZE_FLAGS=${EMDB_SANITIZE_FLAGS}"
    "-DEMDB_PKG_CONFIG=${EMDB_PKG_CONFIG_EXECUTABLE}"
    -P "${PROJECT_SOURCE_DIR}/cmake/RunInstallConsumer.cmake")
set_tests_properties(install_consumer PROPERTIES LABELS "install" TIMEOUT 600)

# Script for the ctest `install_consumer` (see EmdbInstallTest.cmake). Run with cmake -P.
#
# 1. cmake --install the build tree into <work>/prefix.
# 2. Configure, build and run cmake/consumer with find_package(emdb) against that prefix.
# 3. Compile cmake/consumer/consumer.c with `pkg-config --cflags --libs emdb` and run it.
cmake_minimum_required(VERSION 3.25)

foreach(_var EMDB_BINARY_DIR EMDB_CONSUMER_SOURCE_DIR EMDB_WORK_DIR EMDB_LIBDIR EMDB_C_COMPILER)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "RunInstallConsumer.cmake: ${_var} is not set")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "install_consumer: ${what} failed (${_rc}):\n${_out}")
  endif()
  message(STATUS "install_consumer: ${what}: ok")
endfunction()

set(_prefix "${EMDB_WORK_DIR}/prefix")
file(REMOVE_RECURSE "${EMDB_WORK_DIR}")
file(MAKE_DIRECTORY "${EMDB_WORK_DIR}")

set(_config_args)
if(EMDB_CONFIG)
  set(_config_args --config "${EMDB_CONFIG}")
endif()
run_step("install to ${_prefix}"
         "${CMAKE_COMMAND}" --install "${EMDB_BINARY_DIR}" --prefix "${_prefix}" ${_config_args})

foreach(_f "include/emdb/emdb.h" "${EMDB_LIBDIR}/libemdb.so" "${EMDB_LIBDIR}/libemdb.a"
           "${EMDB_LIBDIR}/cmake/emdb/emdbConfig.cmake" "${EMDB_LIBDIR}/pkgconfig/emdb.pc")
  if(NOT EXISTS "${_prefix}/${_f}")
    message(FATAL_ERROR "install_consumer: ${_f} was not installed")
  endif()
endforeach()

# Sanitized builds: the consumer must link the sanitizer runtime too.
string(REPLACE ";" " " _san_flags "${EMDB_SANITIZE_FLAGS}")

# --- find_package(emdb) -------------------------------------------------------------------
set(_gen_args -G "${EMDB_GENERATOR}")
if(EMDB_MAKE_PROGRAM)
  list(APPEND _gen_args "-DCMAKE_MAKE_PROGRAM=${EMDB_MAKE_PROGRAM}")
endif()
run_step("configure consumer with find_package(emdb)"
         "${CMAKE_COMMAND}" -S "${EMDB_CONSUMER_SOURCE_DIR}" -B "${EMDB_WORK_DIR}/cmake-build"
         ${_gen_args}
         "-DCMAKE_BUILD_TYPE=Release"
         "-DCMAKE_PREFIX_PATH=${_prefix}"
         "-DCMAKE_FIND_PACKAGE_PREFER_CONFIG=ON"
         "-DCMAKE_C_COMPILER=${EMDB_C_COMPILER}"
         "-DCMAKE_CXX_COMPILER=${EMDB_CXX_COMPILER}"
         "-DCMAKE_C_FLAGS=${_san_flags}"
         "-DCMAKE_CXX_FLAGS=${_san_flags}"
         "-DCMAKE_EXE_LINKER_FLAGS=${_san_flags}")
run_step("build consumer (find_package)" "${CMAKE_COMMAND}" --build "${EMDB_WORK_DIR}/cmake-build")
foreach(_exe emdb_consumer emdb_consumer_cxx emdb_consumer_static)
  run_step("run ${_exe}" "${EMDB_WORK_DIR}/cmake-build/${_exe}" "${EMDB_WORK_DIR}/db-${_exe}")
endforeach()

# --- pkg-config ---------------------------------------------------------------------------
if(NOT EMDB_PKG_CONFIG)
  message(FATAL_ERROR "install_consumer: pkg-config not found (install the pkg-config package)")
endif()
set(ENV{PKG_CONFIG_PATH} "${_prefix}/${EMDB_LIBDIR}/pkgconfig")
execute_process(COMMAND "${EMDB_PKG_CONFIG}" --cflags --libs emdb
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _pc ERROR_VARIABLE _pc_err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "install_consumer: pkg-config --cflags --libs emdb failed:\n${_pc_err}")
endif()
message(STATUS "install_consumer: pkg-config --cflags --libs emdb: ${_pc}")
separate_arguments(_pc_args UNIX_COMMAND "${_pc}")
separate_arguments(_san_args UNIX_COMMAND "${_san_flags}")
set(_exe "${EMDB_WORK_DIR}/pkgconfig-consumer")
run_step("compile consumer with pkg-config"
         "${EMDB_C_COMPILER}" -std=c99 -Wall -Wextra -Werror ${_san_args}
         "${EMDB_CONSUMER_SOURCE_DIR}/consumer.c" -o "${_exe}" ${_pc_args}
         "-Wl,-rpath,${_prefix}/${EMDB_LIBDIR}")
run_step("run pkg-config consumer" "${_exe}" "${EMDB_WORK_DIR}/db-pkgconfig")

message(STATUS "install_consumer: all consumers built and ran")

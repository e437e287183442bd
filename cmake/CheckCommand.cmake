# Runs one command and checks its exit code and output; used by the CLI smoke tests
# (tools/CMakeLists.txt). Run with cmake -P and these variables:
#   COMMAND        the command line, arguments separated by "|"
#   EXPECT_EXIT    the exit code it must return
#   EXPECT_STDOUT  optional regular expression stdout must match
#   EXPECT_STDERR  optional regular expression stderr must match
#   EXPECT_JSON    optional "|"-separated list of PATH=VALUE: stdout must be JSON and the
#                  member at PATH (dot-separated keys, numbers index arrays) must equal VALUE
#   COPY_FROM, COPY_TO  optional: copy a file first (COPY_TO's directory is created)
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED COMMAND OR NOT DEFINED EXPECT_EXIT)
  message(FATAL_ERROR "CheckCommand.cmake: COMMAND and EXPECT_EXIT are required")
endif()
string(REPLACE "|" ";" _cmd "${COMMAND}")

if(DEFINED COPY_FROM AND NOT COPY_FROM STREQUAL "")
  get_filename_component(_dir "${COPY_TO}" DIRECTORY)
  file(REMOVE_RECURSE "${_dir}")
  file(MAKE_DIRECTORY "${_dir}")
  file(COPY_FILE "${COPY_FROM}" "${COPY_TO}")
endif()

execute_process(COMMAND ${_cmd} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message("$ ${_cmd}\n--- exit code ${_rc}\n--- stdout:\n${_out}--- stderr:\n${_err}---")

set(_failed "")
if(NOT "${_rc}" STREQUAL "${EXPECT_EXIT}")
  string(APPEND _failed "exit code ${_rc}, expected ${EXPECT_EXIT}\n")
endif()
if(DEFINED EXPECT_STDOUT AND NOT EXPECT_STDOUT STREQUAL "" AND NOT _out MATCHES "${EXPECT_STDOUT}")
  string(APPEND _failed "stdout does not match: ${EXPECT_STDOUT}\n")
endif()
if(DEFINED EXPECT_STDERR AND NOT EXPECT_STDERR STREQUAL "" AND NOT _err MATCHES "${EXPECT_STDERR}")
  string(APPEND _failed "stderr does not match: ${EXPECT_STDERR}\n")
endif()
if(DEFINED EXPECT_JSON AND NOT EXPECT_JSON STREQUAL "")
  string(REPLACE "|" ";" _checks "${EXPECT_JSON}")
  foreach(_check IN LISTS _checks)
    string(REGEX MATCH "^([^=]+)=(.*)$" _m "${_check}")
    string(REPLACE "." ";" _path "${CMAKE_MATCH_1}")
    set(_want "${CMAKE_MATCH_2}")
    string(JSON _got ERROR_VARIABLE _json_err GET "${_out}" ${_path})
    if(_json_err)
      string(APPEND _failed "JSON ${CMAKE_MATCH_1}: ${_json_err}\n")
    elseif(NOT "${_got}" STREQUAL "${_want}")
      string(APPEND _failed "JSON ${CMAKE_MATCH_1} is '${_got}', expected '${_want}'\n")
    endif()
  endforeach()
endif()
if(_failed)
  message(FATAL_ERROR "${_failed}")
endif()

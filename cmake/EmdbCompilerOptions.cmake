# Warnings (EMDB_WERROR) and sanitizers (EMDB_SANITIZE) for everything the project builds.
#
# emdb_apply_compiler_options() adds them as directory-wide options, so the library, the tools,
# the tests and the benchmarks all build with the same flags. Third-party headers come in as
# system includes and do not trip -Werror.

function(emdb_apply_compiler_options)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    add_compile_options(-Wall -Wextra)
    if(EMDB_WERROR)
      add_compile_options(-Werror)
      if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # GCC 12's flow-based buffer warnings report impossible sizes after inlining
        # (known false positives in libstdc++ and memcpy of computed lengths): keep them
        # visible as warnings, not errors.
        add_compile_options(-Wno-error=restrict -Wno-error=stringop-overflow
                            -Wno-error=array-bounds -Wno-error=stringop-overread)
      endif()
    endif()
  endif()

  if(NOT EMDB_SANITIZE STREQUAL "")
    string(REPLACE "," ";" _sanitizers "${EMDB_SANITIZE}")
    foreach(_s IN LISTS _sanitizers)
      if(NOT _s MATCHES "^(address|undefined|thread|leak)$")
        message(FATAL_ERROR "EMDB_SANITIZE: unknown sanitizer '${_s}' "
                            "(use address,undefined or thread)")
      endif()
    endforeach()
    if("thread" IN_LIST _sanitizers AND "address" IN_LIST _sanitizers)
      message(FATAL_ERROR "EMDB_SANITIZE: thread cannot be combined with address")
    endif()
    set(_flags -fsanitize=${EMDB_SANITIZE} -fno-omit-frame-pointer)
    if("undefined" IN_LIST _sanitizers)
      # Every UB report is an error, not a message a test can scroll past.
      list(APPEND _flags -fno-sanitize-recover=all)
    endif()
    add_compile_options(${_flags})
    add_link_options(-fsanitize=${EMDB_SANITIZE})
    # Debug sanitizer builds keep their asserts and run at -O1: sanitizers at -O0 make the
    # test suite several times slower.
    if(CMAKE_BUILD_TYPE STREQUAL "Debug")
      add_compile_options(-O1)
    endif()
    # For ctest and the install test: the sanitizer flags a consumer needs too.
    set(EMDB_SANITIZE_FLAGS "${_flags}" PARENT_SCOPE)
  endif()
endfunction()

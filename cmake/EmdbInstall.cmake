# Install rules: public headers, libemdb.so / libemdb.a, the emdb CLI, the CMake package
# (find_package(emdb) -> emdb::emdb, emdb::emdb_static) and the pkg-config file emdb.pc.

set(EMDB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/emdb"
    CACHE STRING "Where the CMake package files are installed (relative to the prefix)")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/api/include/emdb"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT emdb_development
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

install(TARGETS emdb_shared emdb_static
        EXPORT emdbTargets
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT emdb_runtime
                NAMELINK_COMPONENT emdb_development
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT emdb_development
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT emdb_runtime
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

if(TARGET emdb)
  install(TARGETS emdb RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT emdb_runtime)
endif()

install(EXPORT emdbTargets
        NAMESPACE emdb::
        FILE emdbTargets.cmake
        DESTINATION "${EMDB_INSTALL_CMAKEDIR}"
        COMPONENT emdb_development)

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/emdbConfig.cmake.in" "${PROJECT_BINARY_DIR}/emdbConfig.cmake"
  INSTALL_DESTINATION "${EMDB_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/emdbConfigVersion.cmake"
                                 VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/emdbConfig.cmake" "${PROJECT_BINARY_DIR}/emdbConfigVersion.cmake"
        DESTINATION "${EMDB_INSTALL_CMAKEDIR}"
        COMPONENT emdb_development)

# emdb.pc, relocatable: the prefix is found from the .pc file's own directory, so the tree
# can be installed with `cmake --install --prefix` anywhere.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(EMDB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(EMDB_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _up "/emdb-root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/emdb-root")
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(EMDB_PC_PREFIX "\${pcfiledir}/${_up}")
  set(EMDB_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(EMDB_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(EMDB_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/emdb.pc.in" "${PROJECT_BINARY_DIR}/emdb.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/emdb.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
        COMPONENT emdb_development)

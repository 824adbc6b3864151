include(CMakePackageConfigHelpers)

set(SOCIALRX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/socialrx)
install(TARGETS socialrx EXPORT socialrxTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/socialrx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT socialrxTargets NAMESPACE socialrx:: DESTINATION ${SOCIALRX_CMAKE_DIR})
export(EXPORT socialrxTargets NAMESPACE socialrx::
       FILE ${PROJECT_BINARY_DIR}/socialrxTargets.cmake)

configure_package_config_file(cmake/socialrx-config.cmake.in
                              ${PROJECT_BINARY_DIR}/socialrx-config.cmake
                              INSTALL_DESTINATION ${SOCIALRX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/socialrx-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/socialrx-config.cmake
              ${PROJECT_BINARY_DIR}/socialrx-config-version.cmake
        DESTINATION ${SOCIALRX_CMAKE_DIR})

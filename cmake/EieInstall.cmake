# Installing eie like any Debian library: headers, the module libraries, the `eie` command, a CMake package
# config (find_package(eie CONFIG REQUIRED) gives eie::eie and one target per module: eie::core, eie::io, ...)
# and a pkg-config file (eie.pc). The module libraries are static and link third-party targets, so the
# package config finds those dependencies again (eieConfig.cmake.in) before it loads the targets.
include(CMakePackageConfigHelpers)

set(EIE_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/eie)

# eie::eie: every module, for users who want the whole library.
add_library(eie_all INTERFACE)
add_library(eie::eie ALIAS eie_all)
set_target_properties(eie_all PROPERTIES EXPORT_NAME eie)
set(eie_install_targets eie_all eie_warnings eie_openblas)
foreach(module IN LISTS EIE_MODULES)
  target_link_libraries(eie_all INTERFACE eie_${module})
  set_target_properties(eie_${module} PROPERTIES EXPORT_NAME ${module})
  list(APPEND eie_install_targets eie_${module})
endforeach()

install(TARGETS ${eie_install_targets} EXPORT eieTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS eie RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# The headers of the modules built (train.h and cuda.h only with their optional modules).
file(GLOB eie_headers ${PROJECT_SOURCE_DIR}/include/eie/*.h)
foreach(optional train cuda)
  if(NOT optional IN_LIST EIE_MODULES)
    list(REMOVE_ITEM eie_headers ${PROJECT_SOURCE_DIR}/include/eie/${optional}.h)
  endif()
endforeach()
install(FILES ${eie_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/eie COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/include/eie/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/eie COMPONENT dev)
install(EXPORT eieTargets NAMESPACE eie:: DESTINATION ${EIE_CMAKE_INSTALL_DIR} COMPONENT dev)

set(EIE_INSTALLED_MODULES ${EIE_MODULES})
configure_package_config_file(cmake/eieConfig.cmake.in ${PROJECT_BINARY_DIR}/eieConfig.cmake
                              INSTALL_DESTINATION ${EIE_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eieConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eieConfig.cmake ${PROJECT_BINARY_DIR}/eieConfigVersion.cmake
        DESTINATION ${EIE_CMAKE_INSTALL_DIR} COMPONENT dev)

# pkg-config: the static libraries in link order (a module before the modules it uses), then what they use.
set(EIE_PC_LIBS "")
foreach(module io sim engine baseline compress model core)
  if(module IN_LIST EIE_MODULES)
    string(APPEND EIE_PC_LIBS " -leie_${module}")
  endif()
endforeach()
# The prefix relative to the .pc file, so the tree works wherever it is installed (cmake --install --prefix).
file(RELATIVE_PATH EIE_PC_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/eie.pc.in ${PROJECT_BINARY_DIR}/eie.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eie.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

if(EIE_BUILD_TESTS)
  add_test(NAME install_example
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/install_example -DCXX=${CMAKE_CXX_COMPILER}
                   # the example links the installed libraries: it needs their sanitizer flags, if any
                   "-DCXXFLAGS=${CMAKE_CXX_FLAGS}" "-DLDFLAGS=${CMAKE_EXE_LINKER_FLAGS}"
                   -P ${PROJECT_SOURCE_DIR}/tests/install/installed_example.cmake)
  set_tests_properties(install_example PROPERTIES RUN_SERIAL TRUE)
endif()

# `make package` / cpack: eie_<version>_<arch>.deb with the command, the static libraries, the headers, the
# CMake package config, eie.pc and the Python package in Debian's dist-packages. Shared-library dependencies
# of the command and the Python module come from dpkg-shlibdeps; the rest is declared here: numpy for the
# Python package, and the -dev packages the CMake config finds again (the libraries are static).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME eie)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "eie")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Deep Compression and the Efficient Inference Engine: compress networks, run them compressed, simulate EIE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "eie developers <eie@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "python3, python3-numpy, libfmt-dev, nlohmann-json3-dev, zlib1g-dev, libeigen3-dev, libopenblas-dev, libprotobuf-dev, libonnx-dev")
if(EIE_HAVE_ONEDNN)  # eie::baseline links oneDNN: a project using the installed config links it too
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libdnnl-dev")
endif()
# Only what install() puts in these components (not the test or bench programs).
set(CPACK_COMPONENTS_ALL runtime dev python)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
include(CPack)

if(EIE_BUILD_TESTS AND TARGET eie_python)
  add_test(NAME deb_package
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DWORK_DIR=${PROJECT_BINARY_DIR}/deb_package
                   -DPYTHON=${Python3_EXECUTABLE} -DVERSION=${PROJECT_VERSION}
                   -P ${PROJECT_SOURCE_DIR}/tests/install/deb_package.cmake)
  set_tests_properties(deb_package PROPERTIES RUN_SERIAL TRUE)
endif()

# ctest's install_example: installs the build tree into a temporary prefix, builds examples/cpp against it
# with find_package(eie) and again with pkg-config, and runs both.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... [-DCXXFLAGS=... -DLDFLAGS=...] \
#         -P installed_example.cmake
# CXXFLAGS and LDFLAGS are the build tree's own (its sanitizer flags: the installed libraries need them).
include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(path bin/eie include/eie/engine.h include/eie/version.h)
  if(NOT EXISTS ${prefix}/${path})
    message(FATAL_ERROR "the install lacks ${path}")
  endif()
endforeach()
run(${prefix}/bin/eie --version)
message(STATUS "installed: ${out}")

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/cpp -B ${WORK_DIR}/build -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${CXXFLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LDFLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/compress_and_run)
message(STATUS "find_package(eie): ${out}")

file(GLOB_RECURSE pc_files ${prefix}/*/eie.pc)
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run(pkg-config --cflags --libs eie)
string(STRIP "${out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(build_flags UNIX_COMMAND "${CXXFLAGS} ${LDFLAGS}")
run(${CXX} -O1 ${build_flags} ${SOURCE_DIR}/examples/cpp/compress_and_run.cpp ${flags} -o ${WORK_DIR}/compress_and_run_pc)
run(${WORK_DIR}/compress_and_run_pc)
message(STATUS "pkg-config eie: ${out}")

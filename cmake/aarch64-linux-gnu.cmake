# Cross build for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu and the arm64 libraries installed side by
# side with the native ones (Debian multiarch: scripts/install-deps --cross aarch64). The `aarch64` preset uses
# it; tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so ctest and gtest's test discovery work here.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries and CMake package files from /usr/lib/aarch64-linux-gnu; headers and header-only packages (Eigen,
# nlohmann-json, CLI11) from /usr/include and /usr/share, which every architecture shares.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # protoc and the other build tools are the build machine's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# OpenBLAS on one thread: its pool of spinning threads (one per host core) under qemu-user kept a test binary from
# even listing its tests within a minute.
set(CMAKE_CROSSCOMPILING_EMULATOR env;OPENBLAS_NUM_THREADS=1;qemu-aarch64;-L;/usr/aarch64-linux-gnu)

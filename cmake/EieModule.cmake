# eie_add_module(NAME [DEPS lib...] [TEST_DEPS lib...])
#
# Builds src/NAME/*.cpp into the static library eie_NAME (alias eie::NAME), public headers from include/, and
# records tests/NAME/*.cpp as that module's tests (built by tests/CMakeLists.txt into eie_NAME_tests).
# Files named *_avx2.cpp / *_avx512.cpp / *_avx512bf16.cpp / *_avx512vnni.cpp get their instruction-set flags and
# nothing else does (STYLE.md 13). src/engine/kernels/cpu_features.h lists what each set of flags enables (the CPU
# must have all of it); a test compares the two, so change both together.
# They are compiled for x86-64 targets only, and *_neon.cpp files for AArch64 targets only (Advanced SIMD is part of
# the base ISA there: no flags); src/engine/kernels/kernel.h's EIE_X86_KERNELS and EIE_NEON_KERNELS say the same.
set(EIE_MODULES "" CACHE INTERNAL "")
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" eie_processor)
if(eie_processor MATCHES "^(x86_64|amd64)$")
  set(EIE_KERNEL_FILES_LEFT_OUT "_neon\\.cpp$")
elseif(eie_processor MATCHES "^(aarch64|arm64)$")
  set(EIE_KERNEL_FILES_LEFT_OUT "_(avx2|avx512|avx512bf16|avx512vnni)\\.cpp$")
else()
  set(EIE_KERNEL_FILES_LEFT_OUT "_(avx2|avx512|avx512bf16|avx512vnni|neon)\\.cpp$")
endif()
function(eie_add_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp
                                      ${PROJECT_SOURCE_DIR}/src/${name}/*/*.cpp
                                      ${PROJECT_SOURCE_DIR}/src/${name}/*.cu)
  list(FILTER sources EXCLUDE REGEX "${EIE_KERNEL_FILES_LEFT_OUT}")
  if(NOT sources)
    return()
  endif()
  # A dependency on a module that has no sources yet (so no target) is dropped rather than linked as -leie_x.
  foreach(dep IN LISTS ARG_DEPS)
    if(dep MATCHES "^eie_(core|model|compress|io|baseline|engine|sim|train|cuda)$" AND NOT TARGET ${dep})
      list(REMOVE_ITEM ARG_DEPS ${dep})
    endif()
  endforeach()
  add_library(eie_${name} STATIC ${sources})
  add_library(eie::${name} ALIAS eie_${name})
  target_include_directories(eie_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                                 $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
                                                 $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
                                          PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(eie_${name} PUBLIC ${ARG_DEPS} PRIVATE eie_warnings)
  foreach(src IN LISTS sources)
    if(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-mbmi2")
    elseif(src MATCHES "_avx512bf16\\.cpp$")
      set_source_files_properties(${src} PROPERTIES
        COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512bf16;-mavx2;-mfma;-mbmi2")
    elseif(src MATCHES "_avx512vnni\\.cpp$")
      set_source_files_properties(${src} PROPERTIES
        COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vbmi;-mavx512vnni;-mavx2;-mfma;-mbmi2")
    elseif(src MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${src} PROPERTIES
        COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx2;-mfma;-mf16c;-mbmi2")
    endif()
  endforeach()
  set(EIE_MODULES ${EIE_MODULES} ${name} CACHE INTERNAL "")
  set(EIE_${name}_TEST_DEPS ${ARG_TEST_DEPS} CACHE INTERNAL "")
endfunction()

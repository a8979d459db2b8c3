// Built with the flags of every *__avx512vnni.cpp kernel file (cmake/EieModule.cmake): what they enable.
#include "engine/kernels/compiled_features.h"

namespace eie::engine {

std::uint32_t compiled_features__avx512vnni() { return features_enabled_here(); }

}  // namespace eie::engine

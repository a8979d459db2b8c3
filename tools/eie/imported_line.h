// The line under the compression table that names the weights taken as they are (exact import), shared by
// `eie compress` and `eie info`.
#pragma once

#include <string>

#include "eie/io.h"

namespace eie::cli {

// "taken as they are (their own values and zeros, not re-clustered): a, b\n", or "" when there are none.
std::string imported_line(const EieFile& file);

}  // namespace eie::cli

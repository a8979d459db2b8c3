#include "imported_line.h"

#include <fmt/core.h>

namespace eie::cli {

std::string imported_line(const EieFile& file) {
  const std::vector<std::string> names = imported_weights(file);
  if (names.empty()) return "";
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  return fmt::format("taken as they are (their own values and zeros, not re-clustered): {}\n", list);
}

}  // namespace eie::cli

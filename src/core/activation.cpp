#include "eie/core.h"

namespace eie {

const char* activation_name(Activation activation) {
  return activation == Activation::relu ? "relu" : "none";
}

}  // namespace eie

// eie/core.h for Python: eie::Error becomes eie.Error (a ValueError: it reports bad input, a bad argument or a
// bad file) with the library's one-line message.
#include "bindings.h"

namespace eie::python {

void bind_core(py::module_& m) {
  py::register_exception<eie::Error>(m, "Error", PyExc_ValueError);
}

}  // namespace eie::python

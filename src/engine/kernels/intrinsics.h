// <immintrin.h> for the kernel files. GCC 12's AVX-512 headers start their undefined vectors as `__m512 __Y = __Y;`
// (_mm512_undefined_ps and friends), which -Wall reports as uninitialized wherever a masked intrinsic inlines
// them; the pragmas cover the header's lines only, so the kernels' own code keeps both warnings.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

// cimtrain._C: the library's capabilities for the Python package (see bindings.h). Errors arrive in Python as
// cimtrain.ConfigError (a ValueError) and cimtrain.DataError (a RuntimeError) with the library's messages,
// LibTorch's as RuntimeError without the C++ backtrace.
#include <malloc.h>

#include <cstdlib>

#include "common/errors.h"
#include "data/data_error.h"
#include "dist/ranks.h"
#include "python/bindings.h"

namespace cimtrain::python {
namespace {

// What the cimtrain program sets before it starts (common/threads.h): glibc keeps large freed blocks mapped,
// whose page faults otherwise cost more than the chip simulation. Python cannot re-execute itself, but these
// two can be set at run time; a user's own MALLOC_* settings win.
void keep_large_blocks_mapped() {
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 1 << 30);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace
}  // namespace cimtrain::python

PYBIND11_MODULE(_C, m) {
  using namespace cimtrain;
  namespace py = pybind11;
  m.doc() = "cimtrain's C++ core (use the cimtrain package, not this module)";
  static py::exception<common::ConfigError> config_error(m, "ConfigError", PyExc_ValueError);
  static py::exception<data::DataError> data_error(m, "DataError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const common::ConfigError& e) {
      PyErr_SetString(config_error.ptr(), e.what());
    } catch (const data::DataError& e) {
      PyErr_SetString(data_error.ptr(), e.what());
    } catch (const c10::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });
  python::keep_large_blocks_mapped();
  // A Python process is one rank even under a distributed launcher (whose torch.distributed may hold
  // MASTER_PORT): spreading work over Python processes is the user's torch.distributed's business.
  dist::Ranks::use_one_process();
  python::bind_chip_config(m);
  python::bind_context(m);
  python::bind_layers(m);
  python::bind_deployment(m);
  python::bind_data(m);
}

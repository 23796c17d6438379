// nn::AnalogContext for Python (what every analog layer of a model shares: mode, chip, read conditions,
// noise generator), nn::ContextOverride as a scoped change that Python ends explicitly (python/cimtrain wraps it
// in `with` blocks), and Python callables as conductance hooks.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>

#include "common/choice.h"
#include "nn/analog_context.h"
#include "nn/context_override.h"
#include "python/bindings.h"
#include "sim/chip_config.h"

namespace cimtrain::python {
namespace {

nn::GradientMode mode_named(const std::string& name) { return common::parse_choice<nn::GradientMode>(name); }

// A Python callable as a sim::ConductanceHook: called with the GIL held; the reference to it is dropped with
// the GIL held too, whichever thread drops the last copy.
sim::ConductanceHook python_hook(py::object fn) {
  std::shared_ptr<py::object> held(new py::object(std::move(fn)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
  return [held](const at::Tensor& g_uS) {
    py::gil_scoped_acquire gil;
    py::object out = (*held)(g_uS);
    if (!THPVariable_Check(out.ptr()))
      throw std::invalid_argument("the conductance hook must return a tensor, found " +
                                  std::string(py::str(py::type::of(out))));
    return out.cast<at::Tensor>();
  };
}

// A ContextOverride that Python ends with restore() (or when it is collected).
struct Override {
  std::shared_ptr<nn::AnalogContext> context;
  std::unique_ptr<nn::ContextOverride> scope;
  nn::ContextOverride& active() {
    if (!scope) throw std::logic_error("this context override was already restored");
    return *scope;
  }
};

void bind_analog_context(py::module_& m) {
  using nn::AnalogContext;
  py::class_<AnalogContext, std::shared_ptr<AnalogContext>>(m, "AnalogContext")
      .def(py::init([](const std::string& mode, const std::string& chip_json, uint64_t seed) {
             return AnalogContext::make(mode_named(mode), sim::chip_config_from_json(nlohmann::json::parse(chip_json)),
                                        seed);
           }),
           py::arg("mode"), py::arg("chip_json"), py::arg("seed"))
      .def_property(
          "mode", [](const AnalogContext& c) { return nn::to_string(c.mode()); },
          [](AnalogContext& c, const std::string& name) { c.set_mode(mode_named(name)); })
      .def_property("level", &AnalogContext::level, &AnalogContext::set_level)
      .def_property_readonly("chip_json", [](const AnalogContext& c) { return nlohmann::json(c.chip_config()).dump(); })
      .def_property(
          "time_s", [](const AnalogContext& c) { return c.conditions().time_s; },
          [](AnalogContext& c, double t) { c.set_conditions({t, c.conditions().temperature_K}); })
      .def_property(
          "temperature_K", [](const AnalogContext& c) { return c.conditions().temperature_K; },
          [](AnalogContext& c, double T) { c.set_conditions({c.conditions().time_s, T}); })
      .def_property("gaussian_sigma", &AnalogContext::gaussian_sigma, &AnalogContext::set_gaussian_sigma)
      .def_property_readonly("neft_sigma", &AnalogContext::neft_sigma)
      .def_property_readonly("neft_s", &AnalogContext::neft_s)
      .def("set_neft", &AnalogContext::set_neft, py::arg("sigma"), py::arg("s"))
      .def("reseed", &AnalogContext::reseed, py::arg("seed"))
      .def("generator_state", [](AnalogContext& c) { return c.generator().get_state(); })
      .def("set_generator_state", [](AnalogContext& c, const at::Tensor& state) { c.generator().set_state(state); })
      .def(
          "set_conductance_hook",
          [](AnalogContext& c, py::object fn) {
            c.set_conductance_hook(fn.is_none() ? sim::ConductanceHook() : python_hook(std::move(fn)));
          },
          py::arg("hook"));
}

void bind_context_override(py::module_& m) {
  py::class_<Override>(m, "ContextOverride")
      .def(py::init([](std::shared_ptr<nn::AnalogContext> c) {
        auto scope = std::make_unique<nn::ContextOverride>(*c);
        return Override{std::move(c), std::move(scope)};
      }))
      .def("mode", [](Override& o, const std::string& name) { o.active().mode(mode_named(name)); })
      .def("level", [](Override& o, double level) { o.active().level(level); })
      .def("raise_noise", [](Override& o, double raise, double reference) { o.active().raise_noise(raise, reference); })
      .def("conditions", [](Override& o, double t, double T) { o.active().conditions({t, T}); })
      .def("calibrating", [](Override& o, bool output) { o.active().calibrating(output); }, py::arg("output") = false)
      .def("restore", [](Override& o) { o.scope.reset(); });
}

}  // namespace

void bind_context(py::module_& m) {
  bind_analog_context(m);
  bind_context_override(m);
}

}  // namespace cimtrain::python

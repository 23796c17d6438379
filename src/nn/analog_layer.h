// The part every analog layer shares (Algorithm 1 of docs/design.md §2 for any layer that is a matrix
// product): the gradient modes, the chip read of a weight matrix, and the chip instance programmed for
// evaluation. A concrete layer (AnalogLinearImpl, AnalogConv2dImpl) says how it maps onto the crossbar by
// implementing the virtual hooks below; forward_with() runs any weights through the same code, so that
// parameters owned elsewhere (a Python module) are computed exactly as the layer's own.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <optional>

#include "nn/analog_context.h"
#include "sim/chip.h"

namespace cimtrain::nn {

class AnalogLayer {
 public:
  virtual ~AnalogLayer() = default;

  void set_context(std::shared_ptr<AnalogContext> context) { context_ = std::move(context); }
  const std::shared_ptr<AnalogContext>& context() const { return context_; }
  // A digital layer always computes the float layer (e.g. a first or last layer kept off the chip).
  void set_digital(bool digital) { digital_ = digital; }
  bool digital() const { return digital_; }

  // Programs the present weights onto one chip instance (drawn from `gen`) that every later forward in
  // eval mode reads, as a deployed chip would. Needs a context; a digital layer ignores it.
  void program(at::Generator& gen);
  // Evaluation under NeFT's device model instead of the chip: one weight-noise draw (nn/neft_noise.h, sigma,
  // multiplier s) that every later eval-mode forward adds to the weights, as one noisy device would.
  void program_neft(at::Generator& gen, double sigma, double s);
  void clear_programmed() { programmed_.reset(); }
  bool programmed() const { return programmed_.has_value(); }
  // The same with weights given by the caller (in the layer's parameter shape).
  void program(at::Generator& gen, const at::Tensor& weight);
  // The layer's own weights as the crossbar matrix [outputs, inputs].
  virtual at::Tensor weight_matrix() const = 0;

  // The layer's forward with weights `w` and bias `b` (undefined: none) in the present mode: training runs
  // the context's gradient mode; eval reads the programmed instance if there is one, else the float layer.
  // In eval mode with the context calibrating, the forward also fixes the programmed instance's input scale
  // and ADC full scales from this batch (deployment calibration, docs/design.md §3.3), and, when the context
  // calibrates the output too, a gain and offset per output channel that map the chip's output back onto the
  // float layer's (the systematic gain of IR drop or an I-V law, ADC offsets; docs/training.md).
  at::Tensor forward_with(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool training);

 protected:
  // --- how the concrete layer maps onto the crossbar: its input as rows of a product with W [outputs, inputs]
  virtual at::Tensor clean_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const = 0;
  virtual at::Tensor to_rows(const at::Tensor& x) const = 0;                            // input -> [M, inputs]
  virtual at::Tensor from_rows(const at::Tensor& rows, const at::Tensor& x) const = 0;  // [M, outputs] -> output
  virtual at::Tensor as_matrix(const at::Tensor& w) const = 0;  // parameter shape -> [outputs, inputs]
  // The fused STE: y_noisy as the value, the clean layer's gradient (from saved x, w) as the backward.
  virtual at::Tensor ste_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                                 const at::Tensor& y_noisy) const = 0;
  // A layer that can read a chip instance directly on its float input, without rows (a convolution:
  // sim::ChipInstance::infer_conv), says so here; the chip's mapping.conv_read "direct" then uses it.
  virtual bool has_direct_read() const { return false; }
  // The direct read, quantising x inside the read with `input_scale` (0: per tensor) and dequantising with it
  // and `weight_scale` [outputs], adding `bias` (optional): the layer's output, channels in dim 1.
  virtual at::Tensor direct_read(const sim::ChipInstance& chip, const at::Tensor& x, at::Generator& gen,
                                 double input_scale, const at::Tensor& weight_scale, const at::Tensor& bias) const;
  // Its deployment calibration (sim::ChipInstance::calibrate_adc_conv) on integer inputs.
  virtual void calibrate_direct(sim::ChipInstance& chip, const at::Tensor& x_int, at::Generator& gen) const;

 private:
  struct Programmed {
    std::shared_ptr<sim::ChipInstance> instance;  // null for a NeFT draw (weight_noise)
    at::Tensor weight_scale;                      // [outputs, 1]
    at::Tensor input_scale;   // scalar s_x fixed by calibration; undefined: max|x| / qmax of each batch
    at::Tensor weight_noise;  // NeFT: added to the weights; undefined on a chip
    // Output calibration: y <- gain (y_chip - offset) per output channel, fitted once (undefined: none).
    at::Tensor output_gain, output_offset;  // [outputs]
  };
  // Fits the output calibration of `p` on this batch: per output channel, the line y_chip = a y_float + c
  // (least squares over the batch and positions), inverted: gain 1/a, offset c.
  void calibrate_output(const at::Tensor& x, const at::Tensor& w, Programmed& p) const;
  // The chip's output for the layer input x (float), in the layer's output layout with the bias added:
  // the direct read when the layer has one and the chip asks for it, else x as rows [M, inputs].
  // With `fixed` given, reads that instance; else programs a fresh one from w2d ([outputs, inputs]).
  // `effective` receives the instance's effective integer weights and `w_int` the integer weights, when asked
  // (the `full` mode's backward model).
  at::Tensor chip_output(const at::Tensor& x, const at::Tensor& w2d, const at::Tensor& b, const Programmed* fixed,
                         at::Tensor* effective = nullptr, at::Tensor* w_int = nullptr) const;
  bool reads_directly() const;
  // Eval mode: the programmed instance (chip or NeFT draw), calibrated first when the context asks.
  at::Tensor programmed_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);
  // Training: the context's gradient mode.
  at::Tensor training_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const;
  // The `full` mode: the chip's value with the gradient of a differentiable model of the same instance.
  at::Tensor full_mode(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const;

  std::shared_ptr<AnalogContext> context_;
  bool digital_ = false;
  std::optional<Programmed> programmed_;
};

}  // namespace cimtrain::nn

"""AnalogContext: what the analog layers of a model share (the C++ nn::AnalogContext): the gradient mode, the
chip, the read conditions, the noise settings of the gaussian and neft modes, an optional hook on the
programmed conductances, and the random generator every chip and noise draw comes from. Picklable and
deep-copyable (the generator's state travels with it)."""
import contextlib
import json

from . import _C
from .chip_config import ChipConfig


class AnalogContext:
    def __init__(self, chip=None, mode="ste", seed=0, level=None, time_s=3600.0, temperature_K=300.0,
                 gaussian_sigma=None, neft_sigma=0.1, neft_s=1.0, conductance_hook=None):
        """chip: a ChipConfig (default the rram preset); mode: one of cimtrain.GRADIENT_MODES; seed: of the
        generator; level: overrides the chip's noise level; time_s: seconds since programming;
        temperature_K: ambient temperature, kelvin; gaussian_sigma: the gaussian mode's weight noise, fraction
        of max|W|; neft_sigma, neft_s: NeFT's device model (sigma, multiplier on mid-range weights)."""
        chip = chip if chip is not None else ChipConfig.preset("rram")
        if not isinstance(chip, ChipConfig):
            raise TypeError(f"chip must be a cimtrain.ChipConfig, found {type(chip).__name__}")
        self._ctx = _C.AnalogContext(mode, json.dumps(chip.to_json()), int(seed))
        self._hook = None
        if level is not None:
            self.level = level
        self._ctx.time_s = time_s
        self._ctx.temperature_K = temperature_K
        if gaussian_sigma is not None:
            self._ctx.gaussian_sigma = gaussian_sigma
        self._ctx.set_neft(neft_sigma, neft_s)
        self.conductance_hook = conductance_hook

    # --- settings ---
    mode = property(lambda self: self._ctx.mode, lambda self, m: setattr(self._ctx, "mode", m),
                    doc="the gradient mode: clean, gaussian, full, ste, ste-nograd, ste-detach or neft")
    level = property(lambda self: self._ctx.level, lambda self, v: setattr(self._ctx, "level", float(v)),
                     doc="the chip's noise level L (multiplies the stochastic device noise)")
    time_s = property(lambda self: self._ctx.time_s, lambda self, v: setattr(self._ctx, "time_s", float(v)),
                      doc="time since programming of every read, seconds")
    temperature_K = property(lambda self: self._ctx.temperature_K,
                             lambda self, v: setattr(self._ctx, "temperature_K", float(v)),
                             doc="ambient temperature of every read, kelvin")
    gaussian_sigma = property(lambda self: self._ctx.gaussian_sigma,
                              lambda self, v: setattr(self._ctx, "gaussian_sigma", float(v)),
                              doc="the gaussian mode's weight noise std, fraction of max|W|")
    neft_sigma = property(lambda self: self._ctx.neft_sigma, doc="NeFT's device variation sigma")
    neft_s = property(lambda self: self._ctx.neft_s, doc="NeFT's multiplier on mid-range weights")

    @property
    def chip(self):
        """The chip config (a copy; the level included)."""
        return ChipConfig(json.loads(self._ctx.chip_json))

    def set_neft(self, sigma, s=1.0):
        self._ctx.set_neft(float(sigma), float(s))

    def reseed(self, seed):
        self._ctx.reseed(int(seed))

    @property
    def conductance_hook(self):
        """A callable g_uS -> g_uS applied to every programmed instance's conductances [S, 2, rows, outputs]
        (uS, after programming noise, before drift), or None."""
        return self._hook

    @conductance_hook.setter
    def conductance_hook(self, hook):
        if hook is not None and not callable(hook):
            raise TypeError(f"a conductance hook must be callable, found {type(hook).__name__}")
        self._hook = hook
        self._ctx.set_conductance_hook(hook)

    # --- scoped changes ---
    @contextlib.contextmanager
    def override(self, mode=None, level=None, time_s=None, temperature_K=None, calibrating=False,
                 raise_noise=None, reference_sigma=None, calibrating_output=False):
        """Changes settings for the `with` block only, then restores them (exceptions included).
        calibrating: eval forwards fix the programmed layers' ranges; calibrating_output: also their output
        channels' gain and offset against the float layer."""
        scope = _C.ContextOverride(self._ctx)
        try:
            if mode is not None:
                scope.mode(mode)
            if level is not None:
                scope.level(float(level))
            if time_s is not None or temperature_K is not None:
                scope.conditions(self.time_s if time_s is None else float(time_s),
                                 self.temperature_K if temperature_K is None else float(temperature_K))
            if raise_noise is not None:
                scope.raise_noise(float(raise_noise), float(reference_sigma or self.neft_sigma))
            if calibrating or calibrating_output:
                scope.calibrating(bool(calibrating_output))
            yield self
        finally:
            scope.restore()

    # --- pickling and copies ---
    def __getstate__(self):
        return {"chip": self._ctx.chip_json, "mode": self.mode, "time_s": self.time_s,
                "temperature_K": self.temperature_K, "gaussian_sigma": self.gaussian_sigma,
                "neft": (self.neft_sigma, self.neft_s), "generator": self._ctx.generator_state(), "hook": self._hook}

    def __setstate__(self, state):
        self._ctx = _C.AnalogContext(state["mode"], state["chip"], 0)
        self._ctx.set_generator_state(state["generator"])
        self._ctx.time_s = state["time_s"]
        self._ctx.temperature_K = state["temperature_K"]
        self._ctx.gaussian_sigma = state["gaussian_sigma"]
        self._ctx.set_neft(*state["neft"])
        self._hook = None
        self.conductance_hook = state["hook"]

    def __repr__(self):
        return (f"AnalogContext(mode={self.mode!r}, chip={self.chip['preset']!r}, level={self.level}, "
                f"time_s={self.time_s}, temperature_K={self.temperature_K})")

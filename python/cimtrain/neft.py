"""NeFT (Qin et al., "Negative Feedback Training"): its device-noise mode and its OVF feedback, for a user's
own training loop. The device model: AnalogContext(mode="neft", neft_sigma=..., neft_s=...) or
set_device(model, "rram4", sigma); OVF: ovf_logits(model, lambda: model(x), beta) in place of model(x)."""
import contextlib

from . import _C
from .convert import contexts_of

OVF_RAISES = tuple(_C.OVF_RAISES)  # noise raises of OVF's extra forwards, in NeFT sigma (weights 1, 0.1, 0.01)


def devices():
    """NeFT's devices {name: multiplier s on mid-range weights}: rram1, fefet2, rram4, fefet6."""
    return dict(_C.neft_devices())


def set_device(model, device, sigma=0.1, mode="neft"):
    """Puts every context of the model on NeFT's device model (`device`: a name of devices() or the
    multiplier s), with device variation `sigma`, in `mode` (default neft)."""
    s = devices()[device] if isinstance(device, str) else float(device)
    for c in contexts_of(model):
        c.set_neft(sigma, s)
        c.mode = mode


def feedback_logits(out, extra, beta):
    """(out - beta sum_i 10^-i extra[i]) / (len(extra) + 1), differentiable in all."""
    return _C.feedback_logits(out, list(extra), float(beta))


def ovf_logits(model, forward, beta, reference_sigma=None):
    """OVF: forward() at the contexts' noise, then once at each raise of OVF_RAISES (relative to
    `reference_sigma`, default the contexts' NeFT sigma: the chip's level and the gaussian sigma are scaled by
    the same factor), combined by feedback_logits. Train on the result as on logits."""
    contexts = contexts_of(model)
    if not contexts:
        raise ValueError("ovf_logits: the model has no analog layer (convert_to_analog first)")
    out = forward()
    extra = []
    for r in OVF_RAISES:
        with contextlib.ExitStack() as stack:
            for c in contexts:
                stack.enter_context(c.override(raise_noise=r, reference_sigma=reference_sigma or c.neft_sigma))
            extra.append(forward())
    return feedback_logits(out, extra, beta)

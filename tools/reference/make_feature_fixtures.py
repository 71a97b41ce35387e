#!/usr/bin/env python3
"""Write librosa reference outputs that pin core/features/ (the TypeScript port).

Usage (from the repository root):
    python3 -m venv .venv && .venv/bin/pip install -r tools/reference/requirements.txt
    .venv/bin/python tools/reference/make_feature_fixtures.py [--data ../shared/data]

Writes core/features/fixtures/index.json (signals, cases, parameters, offsets) and
core/features/fixtures/reference.f32 (every array as little-endian float32, concatenated).

Synthetic signals are stored as float32 and fed to librosa as float64, so the references are
the float64 algorithm on exactly the samples the TypeScript side reads. Real corpus clips are
NOT stored (the corpus must not be copied into the repo): only librosa's outputs are, computed
the way users run librosa (librosa.load(path, sr=None) -> float32, so float32 arithmetic).
Parameters use the TypeScript option names (camelCase); `python_kwargs` maps them to librosa's.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy.signal

import librosa

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "core" / "features" / "fixtures"

# The product's 8 kHz configuration (mirrors TELEPHONY_FEATURES in core/features/config.ts).
TEL = {
    "sr": 8000,
    "nFft": 256,
    "winLength": 200,
    "hopLength": 80,
    "nMels": 64,
    "fmin": 50.0,
    "fmax": 4000.0,
    "center": True,
}
TEL_STFT = {k: TEL[k] for k in ("nFft", "winLength", "hopLength", "center")}
TEL_MEL = {k: TEL[k] for k in ("sr", "nFft", "winLength", "hopLength", "nMels", "fmin", "fmax", "center")}

CLIPS = {
    "tess_yaf_back_angry": "tess/YAF/YAF_back_angry.wav",
    "ravdess_a01_neutral": "ravdess/Actor_01/03-01-01-01-01-01-01.wav",
    "urdu_sm1_angry": "urdu/Angry/SM1_F10_A010.wav",
}


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def python_kwargs(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if key == "ref" and value == "max":
            value = np.max
        out[snake(key)] = value
    return out


class Writer:
    def __init__(self) -> None:
        self.blob: list[np.ndarray] = []
        self.offset = 0
        self.signals: dict[str, dict] = {}
        self.clips: dict[str, dict] = {}
        self.cases: list[dict] = []

    def array(self, a: np.ndarray) -> dict:
        a = np.asarray(a)
        if not np.all(np.isfinite(a)):
            raise ValueError("non-finite reference value")
        f = np.ascontiguousarray(a, dtype="<f4")
        entry = {"offset": self.offset, "shape": list(a.shape)}
        self.blob.append(f.ravel())
        self.offset += f.size
        return entry

    def signal(self, name: str, sr: int, y: np.ndarray) -> np.ndarray:
        y32 = np.asarray(y, dtype=np.float32)
        self.signals[name] = {"sr": sr, **self.array(y32)}
        return y32.astype(np.float64)

    def case(self, kind: str, source: str, params: dict, output: np.ndarray, precision: str, note: str = "") -> None:
        entry = {"id": f"{kind}/{source}/{len(self.cases)}", "kind": kind, "input": source,
                 "precision": precision, "params": params, "output": self.array(output)}
        if note:
            entry["note"] = note
        self.cases.append(entry)


def synthetic_signals(w: Writer) -> dict[str, tuple[np.ndarray, int]]:
    sig: dict[str, tuple[np.ndarray, int]] = {}
    t8 = np.arange(4000) / 8000
    sig["chirp_8k"] = (w.signal("chirp_8k", 8000, 0.5 * scipy.signal.chirp(t8, 60, t8[-1], 3800, method="logarithmic")), 8000)
    rng = np.random.default_rng(1234)
    t = np.arange(3000) / 8000
    tones = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t + 0.3) + 0.05 * rng.standard_normal(t.size)
    sig["tones_noise_8k"] = (w.signal("tones_noise_8k", 8000, tones), 8000)
    imp = np.zeros(2500)
    imp[[0, 37, 1000, 2499]] = [1.0, -0.5, 0.8, 0.3]
    sig["impulses_8k"] = (w.signal("impulses_8k", 8000, imp), 8000)
    sig["silence_8k"] = (w.signal("silence_8k", 8000, np.zeros(800)), 8000)
    sig["short_8k"] = (w.signal("short_8k", 8000, np.random.default_rng(7).uniform(-1, 1, 150)), 8000)
    sig["single_sample_8k"] = (w.signal("single_sample_8k", 8000, np.array([0.25])), 8000)
    # A4 tuned 20 cents sharp plus E5 and C#5: chroma with an estimated (non-zero) tuning.
    t22 = np.arange(4000) / 22050
    a4 = 440 * 2 ** (20 / 1200)
    chord = sum(0.3 * np.sin(2 * np.pi * a4 * r * t22) for r in (1.0, 2 ** (4 / 12), 2 ** (7 / 12)))
    sig["chord_22k"] = (w.signal("chord_22k", 22050, chord), 22050)
    return sig


def feature_cases(w: Writer, name: str, y: np.ndarray, sr: int, precision: str, full: bool, logmel: bool = True) -> None:
    """The product's log-mel (unless logmel=False, to save space) and MFCC; with full=True, all kinds."""
    tel_logmel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, **python_kwargs(TEL_MEL)), ref=1.0, amin=1e-10, top_db=None)
    if logmel:
        w.case("logmel", name, {**TEL_MEL, "ref": 1.0, "amin": 1e-10, "topDb": None}, tel_logmel, precision)
    w.case("mfcc", name, {**TEL_MEL, "nMfcc": 20, "topDb": None},
           librosa.feature.mfcc(S=tel_logmel, n_mfcc=20), precision)
    if not full:
        return
    w.case("mfcc", name, {"sr": sr}, librosa.feature.mfcc(y=y, sr=sr), precision, "librosa defaults (top_db 80)")
    w.case("chroma_stft", name, {"sr": sr}, librosa.feature.chroma_stft(y=y, sr=sr), precision, "tuning estimated")
    w.case("zero_crossing_rate", name, {}, librosa.feature.zero_crossing_rate(y), precision)
    w.case("rms", name, {}, librosa.feature.rms(y=y), precision)
    w.case("spectral_centroid", name, {"sr": sr}, librosa.feature.spectral_centroid(y=y, sr=sr), precision)
    w.case("spectral_bandwidth", name, {"sr": sr}, librosa.feature.spectral_bandwidth(y=y, sr=sr), precision)
    w.case("spectral_rolloff", name, {"sr": sr}, librosa.feature.spectral_rolloff(y=y, sr=sr), precision)


def synthetic_cases(w: Writer, sig: dict[str, tuple[np.ndarray, int]]) -> None:
    p = "float64"
    # Windows: librosa.filters.get_window('hann', winLength, fftbins=True) centred in nFft.
    for win_length, n_fft in ((200, 256), (2048, 2048), (7, 16), (1, 4)):
        win = librosa.util.pad_center(librosa.filters.get_window("hann", win_length, fftbins=True), size=n_fft)
        w.case("window", "none", {"winLength": win_length, "nFft": n_fft}, win, p)

    # Mel filter banks (librosa returns float32 weights; these are exact).
    for params in (
        {"sr": 8000, "nFft": 256, "nMels": 64, "fmin": 50.0, "fmax": 4000.0},
        {"sr": 22050, "nFft": 256, "nMels": 40},
        {"sr": 16000, "nFft": 256, "nMels": 26, "fmin": 20.0, "fmax": 7600.0, "htk": True, "norm": None},
        {"sr": 8000, "nFft": 128, "nMels": 24, "htk": True},
        {"sr": 8000, "nFft": 128, "nMels": 20, "fmin": 300.0, "fmax": 3400.0, "norm": None},
    ):
        w.case("mel_filterbank", "none", params, librosa.filters.mel(**python_kwargs(params)), p)

    chirp, _ = sig["chirp_8k"]
    tones, _ = sig["tones_noise_8k"]
    chord, _ = sig["chord_22k"]

    def stft_power(y: np.ndarray, params: dict) -> np.ndarray:
        kw = python_kwargs(params)
        return np.abs(librosa.stft(y, **kw)) ** 2

    for name, params in (
        ("chirp_8k", TEL_STFT),
        ("tones_noise_8k", {**TEL_STFT, "center": False}),
        ("tones_noise_8k", {}),
        ("tones_noise_8k", {"nFft": 128, "hopLength": 100, "center": False}),
        ("impulses_8k", TEL_STFT),
        ("short_8k", TEL_STFT),
        ("short_8k", {"nFft": 128, "hopLength": 32, "center": False}),
        ("short_8k", {}),
        ("single_sample_8k", TEL_STFT),
        ("silence_8k", TEL_STFT),
    ):
        w.case("stft_power", name, params, stft_power(sig[name][0], params), p)

    for name, params in (
        ("tones_noise_8k", TEL_MEL),
        ("chirp_8k", {"sr": 8000}),
        ("chirp_8k", {**TEL_MEL, "htk": True, "norm": None, "nMels": 40}),
    ):
        w.case("melspectrogram", name, params, librosa.feature.melspectrogram(y=sig[name][0], **python_kwargs(params)), p)

    # power_to_db on a hand-made matrix: zeros, values under amin, at amin, a max far above.
    pdb_in = np.array([[0.0, 1e-12, 1e-10, 1e-3, 1.0], [2.5, 100.0, 1e-7, 3e-5, 0.5], [7.0, 0.0, 1e4, 0.1, 1e-9]])
    w.signal("pdb_matrix", 0, pdb_in)
    for params in ({}, {"topDb": None}, {"ref": "max"}, {"ref": 2.0, "amin": 1e-5, "topDb": 60.0}, {"ref": "max", "topDb": None}):
        kw = python_kwargs(params)
        w.case("power_to_db", "pdb_matrix", params, librosa.power_to_db(pdb_in.astype(np.float32).astype(np.float64), **kw), p)

    for name, params in (
        ("tones_noise_8k", {"sr": 8000}),
        ("tones_noise_8k", {"sr": 8000, "ref": "max"}),
        ("silence_8k", {**TEL_MEL, "topDb": None}),
        ("short_8k", {**TEL_MEL, "topDb": None}),
    ):
        kw = python_kwargs(params)
        db_kw = {k: kw.pop(k) for k in ("ref", "amin", "top_db") if k in kw}
        w.case("logmel", name, params, librosa.power_to_db(librosa.feature.melspectrogram(y=sig[name][0], **kw), **db_kw), p)

    for name, params in (
        ("tones_noise_8k", {"sr": 8000}),
        ("tones_noise_8k", {"sr": 8000, "nMfcc": 13, "lifter": 22.0, "htk": True}),
        ("chord_22k", {"sr": 22050, "nMfcc": 30, "nMels": 40}),
    ):
        kw = python_kwargs(params)
        top_db = kw.pop("top_db", 80.0)
        mel_kw = {k: v for k, v in kw.items() if k not in ("n_mfcc", "lifter")}
        S = librosa.power_to_db(librosa.feature.melspectrogram(y=sig[name][0], **mel_kw), top_db=top_db)
        w.case("mfcc", name, params, librosa.feature.mfcc(S=S, n_mfcc=kw.get("n_mfcc", 20), lifter=kw.get("lifter", 0)), p)

    for name, params in (
        ("chord_22k", {"sr": 22050}),
        ("chord_22k", {"sr": 22050, "tuning": 0.0}),
        ("chord_22k", {"sr": 22050, "nFft": 4096, "hopLength": 1024, "nChroma": 24}),
        ("tones_noise_8k", {"sr": 8000, "nFft": 1024, "hopLength": 256}),
        ("chirp_8k", {"sr": 8000, **TEL_STFT}),
        ("silence_8k", {"sr": 8000, **TEL_STFT}),
    ):
        w.case("chroma_stft", name, params, librosa.feature.chroma_stft(y=sig[name][0], **python_kwargs(params)), p)
    w.case("estimate_tuning", "chord_22k", {"sr": 22050},
           np.array([librosa.estimate_tuning(y=chord, sr=22050)]), p)
    w.case("estimate_tuning", "tones_noise_8k", {"sr": 8000, "nFft": 1024},
           np.array([librosa.estimate_tuning(y=tones, sr=8000, n_fft=1024)]), p)

    for name, params in (
        ("tones_noise_8k", {}),
        ("tones_noise_8k", {"frameLength": 200, "hopLength": 80}),
        ("impulses_8k", {"frameLength": 256, "hopLength": 64, "center": False}),
        ("silence_8k", {}),
        ("short_8k", {"frameLength": 256, "hopLength": 80}),
        ("single_sample_8k", {}),
    ):
        w.case("zero_crossing_rate", name, params, librosa.feature.zero_crossing_rate(sig[name][0], **python_kwargs(params)), p)

    for name, params in (
        ("chirp_8k", {"frameLength": 256, "hopLength": 80}),
        ("chirp_8k", {}),
        ("tones_noise_8k", {"frameLength": 200, "hopLength": 50, "center": False}),
        ("short_8k", {}),
    ):
        w.case("rms", name, params, librosa.feature.rms(y=sig[name][0], **python_kwargs(params)), p)

    spectral = {
        "spectral_centroid": librosa.feature.spectral_centroid,
        "spectral_bandwidth": librosa.feature.spectral_bandwidth,
        "spectral_rolloff": librosa.feature.spectral_rolloff,
    }
    for kind, fn in spectral.items():
        for name, params in (
            ("tones_noise_8k", {"sr": 8000}),
            ("chirp_8k", {"sr": 8000, **TEL_STFT}),
            ("silence_8k", {"sr": 8000, **TEL_STFT}),
            ("impulses_8k", {"sr": 8000, "nFft": 512, "hopLength": 128, "center": False}),
        ):
            w.case(kind, name, params, fn(y=sig[name][0], **python_kwargs(params)), p)
    w.case("spectral_bandwidth", "chirp_8k", {"sr": 8000, **TEL_STFT, "p": 1.0},
           librosa.feature.spectral_bandwidth(y=chirp, sr=8000, p=1.0, **python_kwargs(TEL_STFT)), p)
    w.case("spectral_bandwidth", "tones_noise_8k", {"sr": 8000, "norm": False, "p": 3.0},
           librosa.feature.spectral_bandwidth(y=tones, sr=8000, norm=False, p=3.0), p)
    w.case("spectral_rolloff", "chirp_8k", {"sr": 8000, **TEL_STFT, "rollPercent": 0.5},
           librosa.feature.spectral_rolloff(y=chirp, sr=8000, roll_percent=0.5, **python_kwargs(TEL_STFT)), p)

    # delta on an MFCC matrix stored as float32 input (so both sides read identical data).
    tel_mfcc = librosa.feature.mfcc(
        S=librosa.power_to_db(librosa.feature.melspectrogram(y=tones, **python_kwargs(TEL_MEL)), top_db=None), n_mfcc=20)
    d_in = w.signal("delta_input", 0, tel_mfcc)
    short_in = w.signal("delta_short_input", 0, tel_mfcc[:3, :5])
    for params in ({}, {"width": 3, "order": 2}, {"width": 5}, {"width": 7, "order": 3}):
        kw = python_kwargs(params)
        w.case("delta", "delta_input", params, librosa.feature.delta(d_in, **kw), p)
    w.case("delta", "delta_short_input", {"width": 5}, librosa.feature.delta(short_in, width=5), p)

    for name in ("tones_noise_8k", "chirp_8k"):
        feature_cases(w, name, sig[name][0], 8000, p, full=False)


def clip_cases(w: Writer, data_root: Path) -> None:
    for i, (name, rel) in enumerate(CLIPS.items()):
        y, sr = librosa.load(data_root / rel, sr=None)  # float32, µ-law decoded by libsndfile
        w.clips[name] = {"path": rel, "sr": int(sr), "length": int(y.size), "sumSquares": float(np.sum(y.astype(np.float64) ** 2))}
        feature_cases(w, name, y, int(sr), "float32", full=(i == 0), logmel=(i < 2))
        if i == 0:
            mf = librosa.feature.mfcc(S=librosa.power_to_db(
                librosa.feature.melspectrogram(y=y, **python_kwargs(TEL_MEL)), top_db=None), n_mfcc=20)
            w.case("delta_of_mfcc", name, {**TEL_MEL, "nMfcc": 20, "topDb": None, "width": 9, "order": 1},
                   librosa.feature.delta(mf), "float32")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="corpus root")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"corpus root {args.data} not found: the real-clip references need it")

    warnings.filterwarnings("ignore", message="n_fft=.*is too large")
    w = Writer()
    sig = synthetic_signals(w)
    synthetic_cases(w, sig)
    clip_cases(w, args.data)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    blob = np.concatenate(w.blob).astype("<f4")
    (OUT_DIR / "reference.f32").write_bytes(blob.tobytes())
    index = {
        "generator": "tools/reference/make_feature_fixtures.py",
        "versions": {pkg: version(pkg) for pkg in ("librosa", "numpy", "scipy", "soundfile")},
        "dataFile": "reference.f32",
        "floatCount": int(blob.size),
        "signals": w.signals,
        "clips": w.clips,
        "cases": w.cases,
    }
    (OUT_DIR / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"{len(w.cases)} cases, {blob.size * 4 / 1024:.0f} KiB of float32 data")


if __name__ == "__main__":
    main()

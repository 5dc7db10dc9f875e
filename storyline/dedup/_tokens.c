/*
 * The tokeniser of storyline.dedup.sketch, compiled: one pass over a text's code
 * points instead of some fifteen numpy passes (a batch's texts in one call). It gives exactly the hashes, line
 * numbers and digit flags of sketch._words (a test compares the two on every kind
 * of text), so stores written by either are the same.
 *
 * The per-code-point tables (character class, case-folded code point, is a digit,
 * whether NFKC may change the text's words) are built in Python and passed in as
 * buffers.
 *
 * The passes over tokens that follow are here too, each giving exactly what its numpy
 * form in sketch.py gives (tests compare them): shingles and line fingerprints in one
 * pass each instead of a dozen numpy passes; the anchors of a batch's bodies
 * (sketch.anchors of each), a loop that stops at each body's first few, where numpy
 * must look at every shingle and then cut the batch apart body by body; and the
 * overlap of two shingle sets (sketch.compare), one merge.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

enum { OTHER = 0, WORD = 1, UNSPACED = 2, APOSTROPHE = 3, NEWLINE = 4 };

static const uint64_t P1 = 0x100000001B3ULL;
static const uint64_t P2 = 0x9E3779B97F4A7C15ULL;
static const uint64_t DIGITS = 0xD1B54A32D192ED03ULL; /* any all-digit token, in line fingerprints */

static inline uint64_t scramble(uint64_t v) {
    uint64_t z = (v ^ (v >> 32)) * 0xD6E8FEB86659FD93ULL;
    return z ^ (z >> 32);
}

typedef struct {
    Py_buffer kind, fold, digit;
    Py_ssize_t size; /* code points in the tables */
} Tables;

static int tables_get(Tables *t, PyObject *kind, PyObject *fold, PyObject *digit) {
    PyObject *objects[3] = {kind, fold, digit};
    Py_buffer *buffers[3] = {&t->kind, &t->fold, &t->digit};
    for (int b = 0; b < 3; b++) {
        if (PyObject_GetBuffer(objects[b], buffers[b], PyBUF_SIMPLE) < 0) {
            while (b--) PyBuffer_Release(buffers[b]);
            return -1;
        }
    }
    t->size = t->kind.len;
    if (t->size < 1 || t->fold.len != t->size * 4 || t->digit.len != t->size) {
        for (int b = 0; b < 3; b++) PyBuffer_Release(buffers[b]);
        PyErr_SetString(PyExc_ValueError, "tables of unequal sizes");
        return -1;
    }
    return 0;
}

static void tables_release(Tables *t) {
    PyBuffer_Release(&t->kind);
    PyBuffer_Release(&t->fold);
    PyBuffer_Release(&t->digit);
}

/* One pass over code points of one width (Py_UCS1, Py_UCS2 or Py_UCS4): the tokens'
 * hashes, lines (numbered from first_line) and digit flags; returns the token count
 * and sets *line_count to the text's number of lines. A word's letters are read in a
 * loop of their own: most characters are inside words, and that loop decides little
 * more than where the word ends. */
#define TOKENISE(NAME, UCS)                                                                    \
    static Py_ssize_t NAME(const UCS *data, Py_ssize_t n, const Tables *t, uint64_t *out_hash, \
                           Py_ssize_t *out_line, char *out_numeric, Py_ssize_t first_line,     \
                           Py_ssize_t *line_count) {                                           \
        const uint8_t *kind = (const uint8_t *)t->kind.buf;                                    \
        const uint32_t *fold = (const uint32_t *)t->fold.buf;                                  \
        const uint8_t *digit = (const uint8_t *)t->digit.buf;                                  \
        const Py_UCS4 last = (Py_UCS4)(t->size - 1);                                           \
        Py_ssize_t count = 0, line = first_line, i = 0;                                        \
        while (i < n) {                                                                        \
            Py_UCS4 c = data[i] > last ? last : data[i];                                       \
            const int k = kind[c];                                                             \
            if (k == WORD) {                                                                   \
                const Py_ssize_t start = i;                                                    \
                uint64_t acc = 0, power = 1;                                                   \
                int all_digits = 1;                                                            \
                out_line[count] = line;                                                        \
                for (;;) {                                                                     \
                    acc += (uint64_t)fold[c] * power;                                          \
                    power *= P1;                                                               \
                    all_digits &= digit[c] != 0;                                               \
                    if (++i == n) break;                                                       \
                    c = data[i] > last ? last : data[i];                                       \
                    if (kind[c] == WORD) continue;                                             \
                    /* an apostrophe between two letters belongs to the word (don't) */        \
                    if (kind[c] != APOSTROPHE || i + 1 == n) break;                            \
                    if (kind[data[i + 1] > last ? last : data[i + 1]] != WORD) break;          \
                }                                                                              \
                out_hash[count] = scramble(acc ^ ((uint64_t)(i - start) * P2));                \
                out_numeric[count] = (char)all_digits;                                         \
                count++;                                                                       \
                continue; /* at the character after the word */                                \
            }                                                                                  \
            if (k == UNSPACED) { /* each letter of an unspaced script is a token */            \
                out_line[count] = line;                                                        \
                out_hash[count] = scramble((uint64_t)fold[c] ^ P2);                            \
                out_numeric[count] = (char)(digit[c] != 0);                                    \
                count++;                                                                       \
            } else if (k == NEWLINE) {                                                         \
                line++;                                                                        \
            }                                                                                  \
            i++;                                                                               \
        }                                                                                      \
        *line_count = line + 1 - first_line;                                                   \
        return count;                                                                          \
    }

TOKENISE(tokenise_ucs1, Py_UCS1)
TOKENISE(tokenise_ucs2, Py_UCS2)
TOKENISE(tokenise_ucs4, Py_UCS4)

static Py_ssize_t tokenise_text(PyObject *text, const Tables *t, uint64_t *out_hash,
                                Py_ssize_t *out_line, char *out_numeric, Py_ssize_t first_line,
                                Py_ssize_t *line_count) {
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND:
            return tokenise_ucs1(PyUnicode_1BYTE_DATA(text), n, t, out_hash, out_line,
                                 out_numeric, first_line, line_count);
        case PyUnicode_2BYTE_KIND:
            return tokenise_ucs2(PyUnicode_2BYTE_DATA(text), n, t, out_hash, out_line,
                                 out_numeric, first_line, line_count);
        default:
            return tokenise_ucs4(PyUnicode_4BYTE_DATA(text), n, t, out_hash, out_line,
                                 out_numeric, first_line, line_count);
    }
}

/* words(texts, kind, fold, digit) -> (hashes, lines, numeric, line_starts, token_starts)
 * The tokens of a list of texts, as if they were joined by line breaks: hashes uint64
 * per token, lines intp per token (lines counted over all the texts), numeric one byte
 * per token; line_starts and token_starts (intp) the first line and first token of
 * each text, and the totals after the last. Each text is read in its own width, and
 * the buffers are sized for a token per character, of which only the tokens found
 * are ever written (the rest is given back). */
static PyObject *words(PyObject *self, PyObject *args) {
    PyObject *texts, *kind_obj, *fold_obj, *digit_obj;
    if (!PyArg_ParseTuple(args, "O!OOO", &PyList_Type, &texts, &kind_obj, &fold_obj, &digit_obj))
        return NULL;
    const Py_ssize_t count = PyList_GET_SIZE(texts);
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts: a list of str");
            return NULL;
        }
        n += PyUnicode_GET_LENGTH(text);
    }
    Tables t;
    if (tables_get(&t, kind_obj, fold_obj, digit_obj) < 0) return NULL;
    PyObject *hashes = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint64_t));
    PyObject *lines = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(Py_ssize_t));
    PyObject *numeric = PyByteArray_FromStringAndSize(NULL, n);
    const Py_ssize_t bounds = (count + 1) * (Py_ssize_t)sizeof(Py_ssize_t);
    PyObject *line_starts = PyByteArray_FromStringAndSize(NULL, bounds);
    PyObject *token_starts = PyByteArray_FromStringAndSize(NULL, bounds);
    if (hashes == NULL || lines == NULL || numeric == NULL || line_starts == NULL ||
        token_starts == NULL)
        goto fail;
    uint64_t *out_hash = (uint64_t *)PyByteArray_AS_STRING(hashes);
    Py_ssize_t *out_line = (Py_ssize_t *)PyByteArray_AS_STRING(lines);
    char *out_numeric = PyByteArray_AS_STRING(numeric);
    Py_ssize_t *first_lines = (Py_ssize_t *)PyByteArray_AS_STRING(line_starts);
    Py_ssize_t *first_tokens = (Py_ssize_t *)PyByteArray_AS_STRING(token_starts);
    Py_ssize_t tokens = 0, line_total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t line_count = 1;
        first_lines[i] = line_total;
        first_tokens[i] = tokens;
        tokens += tokenise_text(PyList_GET_ITEM(texts, i), &t, out_hash + tokens,
                                out_line + tokens, out_numeric + tokens, line_total, &line_count);
        line_total += line_count;
    }
    first_lines[count] = line_total;
    first_tokens[count] = tokens;
    tables_release(&t);
    if (PyByteArray_Resize(hashes, tokens * (Py_ssize_t)sizeof(uint64_t)) < 0 ||
        PyByteArray_Resize(lines, tokens * (Py_ssize_t)sizeof(Py_ssize_t)) < 0 ||
        PyByteArray_Resize(numeric, tokens) < 0) {
        Py_DECREF(hashes);
        Py_DECREF(lines);
        Py_DECREF(numeric);
        Py_DECREF(line_starts);
        Py_DECREF(token_starts);
        return NULL;
    }
    return Py_BuildValue("NNNNN", hashes, lines, numeric, line_starts, token_starts);

fail:
    tables_release(&t);
    Py_XDECREF(hashes);
    Py_XDECREF(lines);
    Py_XDECREF(numeric);
    Py_XDECREF(line_starts);
    Py_XDECREF(token_starts);
    return NULL;
}

#define MARKED(NAME, UCS)                                                          \
    static int NAME(const UCS *data, Py_ssize_t n, const uint8_t *flags, Py_UCS4 last) { \
        for (Py_ssize_t i = 0; i < n; i++) {                                            \
            if (flags[data[i] > last ? last : data[i]]) return 1;                       \
        }                                                                               \
        return 0;                                                                       \
    }

MARKED(marked_ucs1, Py_UCS1)
MARKED(marked_ucs2, Py_UCS2)
MARKED(marked_ucs4, Py_UCS4)

/* marked(text, table) -> whether any code point of text is flagged in table (one byte
 * per code point; those above the table count as its last one). */
static PyObject *marked(PyObject *self, PyObject *args) {
    PyObject *text, *table_obj;
    if (!PyArg_ParseTuple(args, "UO", &text, &table_obj)) return NULL;
    Py_buffer table;
    if (PyObject_GetBuffer(table_obj, &table, PyBUF_SIMPLE) < 0) return NULL;
    if (table.len < 1) {
        PyBuffer_Release(&table);
        PyErr_SetString(PyExc_ValueError, "empty table");
        return NULL;
    }
    const uint8_t *flags = (const uint8_t *)table.buf;
    const Py_UCS4 last = (Py_UCS4)(table.len - 1);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int found;
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND:
            found = marked_ucs1(PyUnicode_1BYTE_DATA(text), n, flags, last);
            break;
        case PyUnicode_2BYTE_KIND:
            found = marked_ucs2(PyUnicode_2BYTE_DATA(text), n, flags, last);
            break;
        default:
            found = marked_ucs4(PyUnicode_4BYTE_DATA(text), n, flags, last);
    }
    PyBuffer_Release(&table);
    return PyBool_FromLong(found);
}

/* SplitMix64's finaliser, sketch.mix. */
static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A buffer of fixed-size items. */
static int buffer_of(PyObject *object, Py_buffer *buffer, Py_ssize_t item, const char *name) {
    if (PyObject_GetBuffer(object, buffer, PyBUF_SIMPLE) < 0) return -1;
    if (buffer->len % item) {
        PyBuffer_Release(buffer);
        PyErr_Format(PyExc_ValueError, "%s: not a whole number of %zd-byte items", name, item);
        return -1;
    }
    return 0;
}

/* Whether a token hash is a function word: the probing of sketch.is_stop over its
 * open-addressing table (size a power of two, `probes` deep). */
static inline int is_stop(uint64_t hash, const uint64_t *table, uint64_t mask, Py_ssize_t probes) {
    uint64_t slot = hash & mask;
    for (Py_ssize_t probe = 0; probe < probes; probe++) {
        if (table[slot] == hash) return 1;
        slot = (slot + 1) & mask;
    }
    return 0;
}

/* anchors(shingles, words, numeric, starts, size, rate, limit, stops, probes)
 *     -> (picked, counts)
 * sketch.anchors of every body of a batch. The bodies' words are concatenated
 * (`words`, with `numeric` one byte per word), body b holding words starts[b] to
 * starts[b + 1]; shingles[p] is the shingle of words p .. p + size - 1, so body b's
 * own are p < starts[b + 1] - size + 1. For each body, its first `limit` distinct
 * shingles in reading order whose hash is 0 modulo `rate` and whose words hold at
 * least min(2, size) strong ones (neither function words nor numbers): `counts[b]`
 * of them, one body after another in `picked` (uint64). A body's scan stops once it
 * has `limit`, which is why this is a loop and not a pass over every shingle. */
static PyObject *anchors(PyObject *self, PyObject *args) {
    PyObject *objects[5];
    Py_ssize_t size, rate, limit, probes;
    if (!PyArg_ParseTuple(args, "OOOOnnnOn", &objects[0], &objects[1], &objects[2], &objects[3],
                          &size, &rate, &limit, &objects[4], &probes))
        return NULL;
    static const char *names[5] = {"shingles", "words", "numeric", "starts", "stops"};
    const Py_ssize_t items[5] = {8, 8, 1, sizeof(Py_ssize_t), 8};
    Py_buffer buffers[5];
    for (int b = 0; b < 5; b++) {
        if (buffer_of(objects[b], &buffers[b], items[b], names[b]) < 0) {
            while (b--) PyBuffer_Release(&buffers[b]);
            return NULL;
        }
    }
    const uint64_t *shingles = buffers[0].buf, *words = buffers[1].buf, *stops = buffers[4].buf;
    const uint8_t *numeric = buffers[2].buf;
    const Py_ssize_t *starts = buffers[3].buf;
    const Py_ssize_t shingle_count = buffers[0].len / 8, word_count = buffers[1].len / 8;
    const Py_ssize_t bodies = buffers[3].len / (Py_ssize_t)sizeof(Py_ssize_t) - 1;
    const Py_ssize_t stop_slots = buffers[4].len / 8;
    PyObject *picked = NULL, *counts = NULL;
    const char *problem = NULL;
    if (size < 1 || limit < 0 || probes < 0) problem = "size, limit or probes out of range";
    else if (buffers[2].len != word_count) problem = "numeric and words of unequal sizes";
    else if (stop_slots < 1 || (stop_slots & (stop_slots - 1))) problem = "stops: not a power of two";
    else if (bodies < 0) problem = "starts: empty";
    for (Py_ssize_t b = 0; problem == NULL && b < bodies; b++) {
        if (starts[b] < 0 || starts[b] > starts[b + 1] || starts[b + 1] > word_count)
            problem = "starts: not ascending within the words";
    }
    if (problem == NULL && word_count - size + 1 > shingle_count) problem = "too few shingles";
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        goto done;
    }
    const uint64_t modulus = rate > 1 ? (uint64_t)rate : 1, mask = (uint64_t)stop_slots - 1;
    const Py_ssize_t strong_needed = size < 2 ? size : 2;
    picked = PyByteArray_FromStringAndSize(NULL, bodies * limit * 8);
    counts = PyByteArray_FromStringAndSize(NULL, bodies * (Py_ssize_t)sizeof(Py_ssize_t));
    if (picked == NULL || counts == NULL) goto done;
    uint64_t *out = (uint64_t *)PyByteArray_AS_STRING(picked);
    Py_ssize_t *out_count = (Py_ssize_t *)PyByteArray_AS_STRING(counts), total = 0;
    for (Py_ssize_t b = 0; b < bodies; b++) {
        uint64_t *mine = out + total;
        Py_ssize_t found = 0;
        for (Py_ssize_t p = starts[b]; found < limit && p < starts[b + 1] - size + 1; p++) {
            const uint64_t hash = shingles[p];
            if (hash % modulus) continue;
            Py_ssize_t strong = 0;
            for (Py_ssize_t w = p; w < p + size; w++)
                strong += !numeric[w] && !is_stop(words[w], stops, mask, probes);
            if (strong < strong_needed) continue;
            Py_ssize_t seen = 0; /* at most `limit` picked so far: a scan beats a set */
            while (seen < found && mine[seen] != hash) seen++;
            if (seen == found) mine[found++] = hash;
        }
        out_count[b] = found;
        total += found;
    }
    if (PyByteArray_Resize(picked, total * 8) < 0) Py_CLEAR(picked);
done:
    for (int b = 0; b < 5; b++) PyBuffer_Release(&buffers[b]);
    if (picked == NULL || counts == NULL) {
        Py_XDECREF(picked);
        Py_XDECREF(counts);
        return NULL;
    }
    return Py_BuildValue("NN", picked, counts);
}

/* shingles(hashes, size) -> bytearray of uint64: sketch.shingle, the hash of every run
 * of `size` consecutive tokens, in reading order (none when there are fewer tokens). */
static PyObject *shingles(PyObject *self, PyObject *args) {
    PyObject *object;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "On", &object, &size)) return NULL;
    Py_buffer buffer;
    if (buffer_of(object, &buffer, 8, "hashes") < 0) return NULL;
    const uint64_t *hashes = buffer.buf;
    const Py_ssize_t count = size < 1 ? 0 : buffer.len / 8 - size + 1;
    PyObject *found = PyByteArray_FromStringAndSize(NULL, (count > 0 ? count : 0) * 8);
    if (found != NULL) {
        uint64_t *out = (uint64_t *)PyByteArray_AS_STRING(found);
        for (Py_ssize_t p = 0; p < count; p++) {
            uint64_t acc = hashes[p];
            for (Py_ssize_t j = 1; j < size; j++) acc = acc * P2 + hashes[p + j];
            out[p] = mix(acc);
        }
    }
    PyBuffer_Release(&buffer);
    return found;
}

/* line_hashes(hashes, lines, numeric) -> (index, fingerprints, counts)
 * sketch.line_hashes: for each line holding tokens (tokens in order, `lines` their line
 * numbers, intp), its number (intp), the fingerprint of its tokens with the all-digit
 * ones masked (uint64) and its token count (intp). */
static PyObject *line_hashes(PyObject *self, PyObject *args) {
    PyObject *objects[3];
    if (!PyArg_ParseTuple(args, "OOO", &objects[0], &objects[1], &objects[2])) return NULL;
    static const char *names[3] = {"hashes", "lines", "numeric"};
    const Py_ssize_t items[3] = {8, sizeof(Py_ssize_t), 1};
    Py_buffer buffers[3];
    for (int b = 0; b < 3; b++) {
        if (buffer_of(objects[b], &buffers[b], items[b], names[b]) < 0) {
            while (b--) PyBuffer_Release(&buffers[b]);
            return NULL;
        }
    }
    const uint64_t *hashes = buffers[0].buf;
    const Py_ssize_t *lines = buffers[1].buf;
    const uint8_t *numeric = buffers[2].buf;
    const Py_ssize_t n = buffers[0].len / 8;
    PyObject *index = NULL, *fingerprints = NULL, *counts = NULL;
    if (buffers[1].len / (Py_ssize_t)sizeof(Py_ssize_t) != n || buffers[2].len != n) {
        PyErr_SetString(PyExc_ValueError, "hashes, lines and numeric of unequal sizes");
        goto done;
    }
    index = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(Py_ssize_t));
    fingerprints = PyByteArray_FromStringAndSize(NULL, n * 8);
    counts = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(Py_ssize_t));
    if (index == NULL || fingerprints == NULL || counts == NULL) goto done;
    Py_ssize_t *out_index = (Py_ssize_t *)PyByteArray_AS_STRING(index);
    uint64_t *out_hash = (uint64_t *)PyByteArray_AS_STRING(fingerprints);
    Py_ssize_t *out_count = (Py_ssize_t *)PyByteArray_AS_STRING(counts);
    Py_ssize_t found = 0;
    for (Py_ssize_t first = 0, end; first < n; first = end) {
        /* the polynomial over the line's tokens, as over the letters of a word */
        uint64_t acc = 0, power = 1;
        for (end = first; end < n && lines[end] == lines[first]; end++) {
            acc += (numeric[end] ? DIGITS : hashes[end]) * power;
            power *= P1;
        }
        out_index[found] = lines[first];
        out_hash[found] = mix(acc ^ ((uint64_t)(end - first) * P1));
        out_count[found] = end - first;
        found++;
    }
    if (PyByteArray_Resize(index, found * (Py_ssize_t)sizeof(Py_ssize_t)) < 0 ||
        PyByteArray_Resize(fingerprints, found * 8) < 0 ||
        PyByteArray_Resize(counts, found * (Py_ssize_t)sizeof(Py_ssize_t)) < 0)
        Py_CLEAR(index);
done:
    for (int b = 0; b < 3; b++) PyBuffer_Release(&buffers[b]);
    if (index == NULL || fingerprints == NULL || counts == NULL) {
        Py_XDECREF(index);
        Py_XDECREF(fingerprints);
        Py_XDECREF(counts);
        return NULL;
    }
    return Py_BuildValue("NNN", index, fingerprints, counts);
}

/* line_ends(texts) -> bytearray of intp: where each line of each text ends in its text
 * (at its line break, or at the text's end for its last line), the texts' lines one
 * after another: text.split("\n") of each without making a string of every line. */
static PyObject *line_ends(PyObject *self, PyObject *args) {
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &texts)) return NULL;
    const Py_ssize_t count = PyList_GET_SIZE(texts);
    Py_ssize_t most = 0; /* a text of n characters has at most n + 1 lines */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts: a list of str");
            return NULL;
        }
        most += PyUnicode_GET_LENGTH(text) + 1;
    }
    PyObject *found = PyByteArray_FromStringAndSize(NULL, most * (Py_ssize_t)sizeof(Py_ssize_t));
    if (found == NULL) return NULL;
    Py_ssize_t *out = (Py_ssize_t *)PyByteArray_AS_STRING(found), lines = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
        for (Py_ssize_t at = 0;; at++) {
            at = PyUnicode_FindChar(text, '\n', at, n, 1);
            if (at == -2) {
                Py_DECREF(found);
                return NULL;
            }
            out[lines++] = at < 0 ? n : at;
            if (at < 0) break;
        }
    }
    if (PyByteArray_Resize(found, lines * (Py_ssize_t)sizeof(Py_ssize_t)) < 0) {
        Py_DECREF(found);
        return NULL;
    }
    return found;
}

/* shared(left, right) -> how many values two sorted sets of distinct uint64 hold in
 * common: the count of sketch.compare, one merge of the two instead of a binary search
 * for every value of the smaller. The merge steps without branches (each step moves
 * past the smaller value, or both when equal), so it costs the same whatever the
 * overlap. */
static PyObject *shared(PyObject *self, PyObject *args) {
    PyObject *objects[2];
    if (!PyArg_ParseTuple(args, "OO", &objects[0], &objects[1])) return NULL;
    Py_buffer left, right;
    if (buffer_of(objects[0], &left, 8, "left") < 0) return NULL;
    if (buffer_of(objects[1], &right, 8, "right") < 0) {
        PyBuffer_Release(&left);
        return NULL;
    }
    const uint64_t *a = left.buf, *b = right.buf;
    const Py_ssize_t n = left.len / 8, m = right.len / 8;
    Py_ssize_t i = 0, j = 0, count = 0;
    while (i < n && j < m) {
        const uint64_t x = a[i], y = b[j];
        count += x == y;
        i += x <= y;
        j += y <= x;
    }
    PyBuffer_Release(&left);
    PyBuffer_Release(&right);
    return PyLong_FromSsize_t(count);
}

static PyMethodDef methods[] = {
    {"words", words, METH_VARARGS, "Token hashes, lines and digit flags of a list of texts."},
    {"marked", marked, METH_VARARGS, "Whether a text holds a code point flagged in a table."},
    {"anchors", anchors, METH_VARARGS, "The first distinct anchors of every body of a batch."},
    {"shingles", shingles, METH_VARARGS, "The hash of every run of consecutive tokens."},
    {"line_hashes", line_hashes, METH_VARARGS, "The lines holding tokens, fingerprinted."},
    {"shared", shared, METH_VARARGS, "How many values two sorted sets hold in common."},
    {"line_ends", line_ends, METH_VARARGS, "Where each line of each text ends."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokens", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tokens(void) { return PyModule_Create(&module); }

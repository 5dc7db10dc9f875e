/*
 * The tokeniser of storyline.dedup.sketch, compiled: one pass over a text's code
 * points instead of some fifteen numpy passes. It gives exactly the hashes, line
 * numbers and digit flags of sketch._words (a test compares the two on every kind
 * of text), so stores written by either are the same.
 *
 * The per-code-point tables (character class, case-folded code point, is a digit,
 * whether NFKC may change the text) are built in Python and passed in as buffers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

enum { OTHER = 0, WORD = 1, UNSPACED = 2, APOSTROPHE = 3, NEWLINE = 4 };

static const uint64_t P1 = 0x100000001B3ULL;
static const uint64_t P2 = 0x9E3779B97F4A7C15ULL;

static inline uint64_t scramble(uint64_t v) {
    uint64_t z = (v ^ (v >> 32)) * 0xD6E8FEB86659FD93ULL;
    return z ^ (z >> 32);
}

typedef struct {
    Py_buffer kind, fold, digit;
    Py_ssize_t size; /* code points in the tables */
} Tables;

static int tables_get(Tables *t, PyObject *kind, PyObject *fold, PyObject *digit) {
    if (PyObject_GetBuffer(kind, &t->kind, PyBUF_SIMPLE) < 0) return -1;
    if (PyObject_GetBuffer(fold, &t->fold, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&t->kind);
        return -1;
    }
    if (PyObject_GetBuffer(digit, &t->digit, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&t->kind);
        PyBuffer_Release(&t->fold);
        return -1;
    }
    t->size = t->kind.len;
    if (t->size < 1 || t->fold.len != t->size * 4 || t->digit.len != t->size) {
        PyBuffer_Release(&t->kind);
        PyBuffer_Release(&t->fold);
        PyBuffer_Release(&t->digit);
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

/* words(text, kind, fold, digit) -> (hashes, lines, numeric, line_count)
 * hashes: uint64 per token; lines: intp per token; numeric: one byte per token. */
static PyObject *words(PyObject *self, PyObject *args) {
    PyObject *text, *kind_obj, *fold_obj, *digit_obj;
    if (!PyArg_ParseTuple(args, "UOOO", &text, &kind_obj, &fold_obj, &digit_obj)) return NULL;
    Tables t;
    if (tables_get(&t, kind_obj, fold_obj, digit_obj) < 0) return NULL;
    const uint8_t *kind = (const uint8_t *)t.kind.buf;
    const uint32_t *fold = (const uint32_t *)t.fold.buf;
    const uint8_t *digit = (const uint8_t *)t.digit.buf;
    const Py_ssize_t last = t.size - 1;

    const int ukind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    PyObject *hashes = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint64_t));
    PyObject *lines = PyByteArray_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(Py_ssize_t));
    PyObject *numeric = PyByteArray_FromStringAndSize(NULL, n);
    if (hashes == NULL || lines == NULL || numeric == NULL) goto fail;
    uint64_t *out_hash = (uint64_t *)PyByteArray_AS_STRING(hashes);
    Py_ssize_t *out_line = (Py_ssize_t *)PyByteArray_AS_STRING(lines);
    char *out_numeric = PyByteArray_AS_STRING(numeric);

    Py_ssize_t count = 0, line = 0;
    int open = 0, all_digits = 1; /* in a token of a spaced script */
    uint64_t acc = 0, power = 1, length = 0;
    int previous = OTHER; /* class of the code point before */
    Py_ssize_t code_at;
    Py_UCS4 c = 0, next;
    if (n > 0) {
        code_at = PyUnicode_READ(ukind, data, 0);
        c = (Py_UCS4)(code_at > last ? last : code_at);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int k = kind[c];
        if (i + 1 < n) {
            code_at = PyUnicode_READ(ukind, data, i + 1);
            next = (Py_UCS4)(code_at > last ? last : code_at);
        } else {
            next = (Py_UCS4)last;
        }
        /* an apostrophe between two letters of a spaced script belongs to the word */
        int inner = k == APOSTROPHE && i > 0 && i + 1 < n && previous == WORD && kind[next] == WORD;
        if (k == WORD || inner) {
            if (!open) {
                open = 1;
                acc = 0;
                power = 1;
                length = 0;
                all_digits = 1;
                out_line[count] = line;
            }
            acc += (uint64_t)fold[c] * power;
            power *= P1;
            length++;
            all_digits &= digit[c] != 0;
        } else {
            if (open) {
                out_hash[count] = scramble(acc ^ (length * P2));
                out_numeric[count] = (char)all_digits;
                count++;
                open = 0;
            }
            if (k == UNSPACED) { /* each letter of an unspaced script is a token */
                out_line[count] = line;
                out_hash[count] = scramble((uint64_t)fold[c] ^ P2);
                out_numeric[count] = (char)(digit[c] != 0);
                count++;
            } else if (k == NEWLINE) {
                line++;
            }
        }
        previous = k;
        c = next;
    }
    if (open) {
        out_hash[count] = scramble(acc ^ (length * P2));
        out_numeric[count] = (char)all_digits;
        count++;
    }
    tables_release(&t);
    if (PyByteArray_Resize(hashes, count * (Py_ssize_t)sizeof(uint64_t)) < 0 ||
        PyByteArray_Resize(lines, count * (Py_ssize_t)sizeof(Py_ssize_t)) < 0 ||
        PyByteArray_Resize(numeric, count) < 0) {
        Py_DECREF(hashes);
        Py_DECREF(lines);
        Py_DECREF(numeric);
        return NULL;
    }
    return Py_BuildValue("NNNn", hashes, lines, numeric, line + 1);

fail:
    tables_release(&t);
    Py_XDECREF(hashes);
    Py_XDECREF(lines);
    Py_XDECREF(numeric);
    return NULL;
}

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
    const Py_ssize_t last = table.len - 1;
    const int ukind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int found = 0;
    for (Py_ssize_t i = 0; i < n && !found; i++) {
        Py_UCS4 c = PyUnicode_READ(ukind, data, i);
        found = flags[c > (Py_UCS4)last ? last : c] != 0;
    }
    PyBuffer_Release(&table);
    return PyBool_FromLong(found);
}

static PyMethodDef methods[] = {
    {"words", words, METH_VARARGS, "Token hashes, lines and digit flags of a text."},
    {"marked", marked, METH_VARARGS, "Whether a text holds a code point flagged in a table."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokens", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tokens(void) { return PyModule_Create(&module); }

/*
 * neurofiles._textparse: a small, strict tokenizer for numeric text tables.
 *
 * It parses the data block of NEURON .dat and ATF files into float64 rows.
 * It is strict on purpose: it handles the common layout (numbers separated
 * by a tab, a comma or runs of whitespace; LF or CRLF; blank lines; empty
 * cells when a separator is given; an optional comment character) and
 * refuses everything else by returning the offset of the line it could not
 * read. The Python caller then hands the block to the general engines,
 * which decide and report exactly. Every function releases the GIL, so
 * Python threads parse disjoint byte ranges of one file in parallel.
 *
 * A source is either a file descriptor (read with pread, piece by piece, so
 * a file truncated meanwhile gives a short read, never SIGBUS) or an object
 * exporting a contiguous buffer.
 *
 * Numbers: decimal digits with optional sign, point and exponent, plus
 * nan/inf/infinity. A number of at most 19 digits (leading zeros count) whose value
 * is exactly m * 10^e with m <= 2^53 and |e| <= 22 is computed with one
 * correctly rounded IEEE multiply or divide (Clinger's fast path); every
 * other number goes to the C library's correctly rounded strtod in the
 * "C" locale. Both give the same double as Python's float().
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <locale.h>
#define HAVE_PREAD 0
typedef _locale_t c_locale_t;
#define STRTOD_L(s, e, loc) _strtod_l((s), (e), (loc))
static c_locale_t make_c_locale(void) { return _create_locale(LC_NUMERIC, "C"); }
#else
#include <locale.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <xlocale.h>
#endif
#define HAVE_PREAD 1
typedef locale_t c_locale_t;
#define STRTOD_L(s, e, loc) strtod_l((s), (e), (loc))
static c_locale_t make_c_locale(void) { return newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }
#endif

static c_locale_t c_locale;

/* status codes returned to Python */
enum { ST_OK = 0, ST_REFUSED = 1, ST_SHORT_READ = 2, ST_FULL = 3 };

#define PIECE (1 << 20)    /* bytes read per pread */
#define MAX_LINE PIECE     /* a longer line is refused */
#define MAX_TOKEN 400      /* a longer number goes to the general engines */

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* ---------------------------------------------------------------- sources */

typedef struct {
    int fd;                 /* >= 0: read with pread */
    const char *mem;        /* else: the whole buffer */
    Py_ssize_t mem_len;
    Py_buffer view;
    int has_view;
} source_t;

static int source_open(PyObject *obj, source_t *src) {
    memset(src, 0, sizeof(*src));
    src->fd = -1;
    if (PyLong_Check(obj)) {
#if HAVE_PREAD
        src->fd = (int)PyLong_AsLong(obj);
        if (src->fd < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "negative file descriptor");
            return -1;
        }
        return 0;
#else
        PyErr_SetString(PyExc_TypeError, "file descriptors are not supported on this platform");
        return -1;
#endif
    }
    if (PyObject_GetBuffer(obj, &src->view, PyBUF_SIMPLE) < 0) return -1;
    src->has_view = 1;
    src->mem = (const char *)src->view.buf;
    src->mem_len = src->view.len;
    return 0;
}

static void source_close(source_t *src) {
    if (src->has_view) PyBuffer_Release(&src->view);
}

/* Read [pos, pos + n) into dst; return the number of bytes read (short at end of file). */
static Py_ssize_t source_read(const source_t *src, char *dst, Py_ssize_t pos, Py_ssize_t n) {
    if (src->fd < 0) {
        if (pos >= src->mem_len) return 0;
        if (n > src->mem_len - pos) n = src->mem_len - pos;
        memcpy(dst, src->mem + pos, (size_t)n);
        return n;
    }
#if HAVE_PREAD
    Py_ssize_t got = 0;
    while (got < n) {
        ssize_t r = pread(src->fd, dst + got, (size_t)(n - got), (off_t)(pos + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return got > 0 ? got : -1;
        }
        if (r == 0) break;
        got += r;
    }
    return got;
#else
    return -1;
#endif
}

/* ---------------------------------------------------------------- classes */

/*
 * Every byte has a class. The parser only ever works on lines that end in
 * '\n' (a real one, or a sentinel written after the bytes read), so no loop
 * needs a bounds check: each stops at the '\n' at the latest.
 */
enum {
    C_OTHER = 0,
    C_DIGIT = 1 << 0,
    C_START = 1 << 1,  /* may start a number: digit, sign, point, n/N/i/I */
    C_SPACE = 1 << 2,  /* ' ' */
    C_TAB = 1 << 3,    /* '\t' */
    C_CR = 1 << 4,     /* '\r' (only before '\n') */
    C_LF = 1 << 5,     /* '\n' */
    C_SEP = 1 << 6,    /* the one-character separator, if any */
    C_COMMENT = 1 << 7 /* the comment character, if any */
};
#define C_AFTER_NUMBER (C_SPACE | C_TAB | C_CR | C_LF | C_SEP | C_COMMENT)

typedef struct {
    unsigned char of[256];
    int sep;  /* 0: runs of whitespace */
    int ncols;
} syntax_t;

static void syntax_init(syntax_t *sx, int sep, int comment, int ncols) {
    memset(sx->of, C_OTHER, sizeof(sx->of));
    for (int c = '0'; c <= '9'; ++c) sx->of[c] = C_DIGIT | C_START;
    sx->of['+'] = sx->of['-'] = sx->of['.'] = C_START;
    sx->of['n'] = sx->of['N'] = sx->of['i'] = sx->of['I'] = C_START;
    sx->of[' '] = C_SPACE;
    sx->of['\t'] = C_TAB;
    sx->of['\r'] = C_CR;
    sx->of['\n'] = C_LF;
    if (sep) sx->of[sep] = C_SEP;
    if (comment) sx->of[comment] = C_COMMENT;
    sx->sep = sep;
    sx->ncols = ncols;
}

#define CLASS(sx, p) ((sx)->of[(unsigned char)*(p)])

/* ---------------------------------------------------------------- numbers */

static int word_at(const char *p, const char *word) {
    for (; *word; ++word, ++p) {
        if ((*p | 0x20) != *word) return 0;
    }
    return 1;
}

/* Parse the number at p into *out; return the byte after it, or NULL if it is not a number. */
static const char *parse_number(const char *p, const syntax_t *sx, double *out) {
    const char *start = p;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        ++p;
    }
    if ((*p | 0x20) == 'n' || (*p | 0x20) == 'i') {
        double v;
        if (word_at(p, "nan")) {
            v = NAN;
            p += 3;
        } else if (word_at(p, "infinity")) {
            v = INFINITY;
            p += 8;
        } else if (word_at(p, "inf")) {
            v = INFINITY;
            p += 3;
        } else {
            return NULL;
        }
        if (!(CLASS(sx, p) & C_AFTER_NUMBER)) return NULL;
        *out = neg ? -v : v;
        return p;
    }
    /* the digits before and after the point, as one integer m (meaningful up to 19 digits) */
    uint64_t m = 0;
    const char *digits_start = p;
    for (; (unsigned)(*p - '0') < 10; ++p) m = m * 10 + (uint64_t)(*p - '0');
    int digits = (int)(p - digits_start), fraction_digits = 0;
    if (*p == '.') {
        const char *fraction = ++p;
        for (; (unsigned)(*p - '0') < 10; ++p) m = m * 10 + (uint64_t)(*p - '0');
        fraction_digits = (int)(p - fraction);
        digits += fraction_digits;
    }
    if (digits == 0) return NULL;
    int64_t exp10 = -fraction_digits;
    if ((*p | 0x20) == 'e') {
        ++p;
        int eneg = 0;
        if (*p == '+' || *p == '-') {
            eneg = *p == '-';
            ++p;
        }
        if ((unsigned)(*p - '0') >= 10) return NULL;
        int64_t e = 0;
        for (; (unsigned)(*p - '0') < 10; ++p) {
            if (e < 100000) e = e * 10 + (*p - '0');
        }
        exp10 += eneg ? -e : e;
    }
    if (!(CLASS(sx, p) & C_AFTER_NUMBER)) return NULL;
    double v;
    if (digits <= 19 && m == 0) {
        v = 0.0;
    } else if (digits <= 19 && m <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = exp10 >= 0 ? (double)m * POW10[exp10] : (double)m / POW10[-exp10];
    } else {
        /* the general case: the C library's correctly rounded conversion */
        char token[MAX_TOKEN + 1];
        Py_ssize_t n = p - start;
        char *stop;
        if (n > MAX_TOKEN) return NULL;
        memcpy(token, start, (size_t)n);
        token[n] = '\0';
        *out = STRTOD_L(token, &stop, c_locale);
        return stop == token + n ? p : NULL;
    }
    *out = neg ? -v : v;
    return p;
}

/* ---------------------------------------------------------------- rows */

/* The end of a line: p points at '\r' or '\n' or the comment character. Return the '\n', or NULL. */
static const char *line_end(const char *p, const syntax_t *sx) {
    int c = CLASS(sx, p);
    if (c & C_LF) return p;
    if (c & C_CR) return p[1] == '\n' ? p + 1 : NULL;
    for (; *p != '\n'; ++p) { /* a comment: skip the rest of the line */
        if (*p == '\r' && p[1] != '\n') return NULL; /* a line end to the general engines */
    }
    return p;
}

/*
 * Parse the row at p into row[0 .. ncols). Store the number of fields in
 * *nfields (0 for a blank line) and return the address of the row's '\n',
 * or NULL to refuse the row.
 */
static const char *parse_row(const char *p, const syntax_t *sx, double *row, int *nfields) {
    int n = 0, ncols = sx->ncols;
    if (!sx->sep) { /* fields separated by runs of spaces and tabs */
        for (;;) {
            while (CLASS(sx, p) & (C_SPACE | C_TAB)) ++p;
            if (CLASS(sx, p) & (C_LF | C_CR | C_COMMENT)) break;
            if (n == ncols) return NULL;
            if ((p = parse_number(p, sx, &row[n])) == NULL) return NULL;
            ++n;
        }
        *nfields = n;
        return line_end(p, sx);
    }
    /* one-character separator: cells may be empty (NaN) or padded with spaces */
    int values = 0;
    for (;;) {
        while (*p == ' ') ++p;
        if (CLASS(sx, p) & C_START) {
            if (n >= ncols) return NULL;
            if ((p = parse_number(p, sx, &row[n])) == NULL) return NULL;
            ++values;
            while (*p == ' ') ++p;
        } else if (n < ncols) {
            row[n] = NAN;
        }
        ++n;
        int c = CLASS(sx, p);
        if (c & C_SEP) {
            ++p;
            continue;
        }
        if (!(c & (C_LF | C_CR | C_COMMENT))) return NULL;
        break;
    }
    if (values == 0 && (sx->sep == '\t' || n == 1)) {
        n = 0; /* only spaces and tabs: a blank line (a line of commas is a row of empty cells) */
    } else if (n == ncols + 1) {
        n = ncols; /* one empty trailing field: a row ending in the separator */
    } else if (n > ncols + 1) {
        return NULL;
    }
    *nfields = n;
    return line_end(p, sx);
}

/* ---------------------------------------------------------------- API */

/* 0 if 0 <= start <= end, else -1 with ValueError set. */
static int check_range(Py_ssize_t start, Py_ssize_t end) {
    if (start < 0 || end < start) {
        PyErr_Format(PyExc_ValueError, "need 0 <= start <= end, got %zd and %zd", start, end);
        return -1;
    }
    return 0;
}


static PyObject *result(int status, Py_ssize_t rows, Py_ssize_t offset) {
    return Py_BuildValue("(inn)", status, rows, offset);
}

/* Count '\n' in buf[0, n), eight bytes at a time (byte counters, summed every 255 steps). */
static Py_ssize_t count_newlines(const char *buf, Py_ssize_t n) {
    const uint64_t ones = UINT64_C(0x0101010101010101), lf = ones * '\n', low7 = ones * 0x7f;
    const uint64_t even = UINT64_C(0x00ff00ff00ff00ff);
    Py_ssize_t count = 0, i = 0;
    while (i + 8 <= n) {
        uint64_t counters = 0;
        for (int k = 0; k < 255 && i + 8 <= n; ++k, i += 8) {
            uint64_t x;
            memcpy(&x, buf + i, 8);
            x ^= lf; /* a '\n' byte is now zero; its counter byte gets 1 */
            counters += (~(((x & low7) + low7) | x) >> 7) & ones;
        }
        uint64_t pairs = (counters & even) + ((counters >> 8) & even); /* four 16-bit sums */
        count += (Py_ssize_t)((pairs * UINT64_C(0x0001000100010001)) >> 48);
    }
    for (; i < n; ++i) count += buf[i] == '\n';
    return count;
}

PyDoc_STRVAR(count_lines_doc,
             "count_lines(source, start, end) -> (status, newlines, offset)\n\n"
             "Count the '\\n' bytes in [start, end) of source (a file descriptor or a buffer).\n"
             "status 2 (short read) means the source ended at offset.");

static PyObject *count_lines(PyObject *self, PyObject *args) {
    PyObject *obj;
    Py_ssize_t start, end;
    (void)self;
    if (!PyArg_ParseTuple(args, "Onn", &obj, &start, &end) || check_range(start, end) < 0) return NULL;
    source_t src;
    if (source_open(obj, &src) < 0) return NULL;
    Py_ssize_t count = 0, pos = start;
    char *buf = NULL;
    Py_BEGIN_ALLOW_THREADS
    if (src.fd < 0) {
        Py_ssize_t stop = end < src.mem_len ? end : src.mem_len;
        if (stop > start) count = count_newlines(src.mem + start, stop - start);
        pos = stop > start ? stop : start;
    } else if ((buf = malloc(PIECE)) != NULL) {
        while (pos < end) {
            Py_ssize_t want = end - pos < PIECE ? end - pos : PIECE;
            Py_ssize_t got = source_read(&src, buf, pos, want);
            if (got <= 0) break;
            count += count_newlines(buf, got);
            pos += got;
            if (got < want) break;
        }
    }
    Py_END_ALLOW_THREADS
    int nomem = src.fd >= 0 && buf == NULL;
    free(buf);
    source_close(&src);
    if (nomem) return PyErr_NoMemory();
    return result(pos < end ? ST_SHORT_READ : ST_OK, count, pos);
}

PyDoc_STRVAR(line_start_doc,
             "line_start(source, pos, end) -> int\n\n"
             "The offset just after the first '\\n' at or after pos, or end if there is none before end.");

static PyObject *line_start(PyObject *self, PyObject *args) {
    PyObject *obj;
    Py_ssize_t pos, end;
    (void)self;
    if (!PyArg_ParseTuple(args, "Onn", &obj, &pos, &end) || check_range(pos, end) < 0) return NULL;
    source_t src;
    if (source_open(obj, &src) < 0) return NULL;
    char buf[65536];
    Py_ssize_t found = end;
    Py_BEGIN_ALLOW_THREADS
    while (pos < end) {
        Py_ssize_t want = end - pos < (Py_ssize_t)sizeof(buf) ? end - pos : (Py_ssize_t)sizeof(buf);
        Py_ssize_t got = source_read(&src, buf, pos, want);
        if (got <= 0) break;
        const char *nl = memchr(buf, '\n', (size_t)got);
        if (nl != NULL) {
            found = pos + (nl - buf) + 1;
            break;
        }
        pos += got;
    }
    Py_END_ALLOW_THREADS
    source_close(&src);
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(parse_doc,
             "parse(source, start, end, out, row0, row_end, ncols, sep, comment) -> (status, rows, offset)\n\n"
             "Parse the lines in [start, end) into rows row0, row0 + 1, ... of out, a writable\n"
             "C-contiguous float64 buffer of shape (capacity, ncols), never writing a row at or past\n"
             "row_end (nor past the capacity): each caller's slice [row0, row_end) is its own. sep is\n"
             "'\\t', ',' or '' for runs of whitespace; comment is a one-character prefix or ''.\n"
             "status 0: every line was read; 1: the line at offset was refused; 2: the source ended\n"
             "at offset; 3: the slice is full and the row at offset did not fit.");

static PyObject *parse(PyObject *self, PyObject *args) {
    PyObject *obj, *out_obj;
    Py_ssize_t start, end, row0, row_end;
    int ncols;
    const char *sep_s, *comment_s;
    Py_ssize_t sep_len, comment_len;
    (void)self;
    if (!PyArg_ParseTuple(args, "OnnOnnis#s#", &obj, &start, &end, &out_obj, &row0, &row_end, &ncols, &sep_s,
                          &sep_len, &comment_s, &comment_len))
        return NULL;
    if (check_range(start, end) < 0) return NULL;
    int sep = sep_len ? (unsigned char)sep_s[0] : 0;
    int comment = comment_len ? (unsigned char)comment_s[0] : 0;
    if (ncols < 1 || ncols > (1 << 20) || row0 < 0 || row_end < row0 || sep_len > 1 || comment_len > 1 ||
        !(sep == 0 || sep == ' ' || sep == '\t' || sep == ',') ||
        (comment && (strchr("0123456789+-.eEnNiI \t\r\n", comment) || comment == sep))) {
        PyErr_SetString(PyExc_ValueError,
                        "need 1 <= ncols <= 2**20, 0 <= row0 <= row_end, sep '\\t', ',', ' ' or '', and a comment "
                        "character that cannot be part of a number or a separator");
        return NULL;
    }
    if (sep == ' ') sep = 0;
    syntax_t sx;
    syntax_init(&sx, sep, comment, ncols);
    Py_buffer out;
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if ((uintptr_t)out.buf % sizeof(double) != 0) {
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "out must be aligned for float64");
        return NULL;
    }
    Py_ssize_t capacity = out.len / (Py_ssize_t)sizeof(double) / ncols;
    if (row_end < capacity) capacity = row_end; /* this call's rows end here: never write past them */
    double *data = (double *)out.buf;
    source_t src;
    if (source_open(obj, &src) < 0) {
        PyBuffer_Release(&out);
        return NULL;
    }
    int status = ST_OK;
    Py_ssize_t row = row0, pos = start;
    char *buf = NULL;
    double *spare = NULL;

    Py_BEGIN_ALLOW_THREADS
    buf = calloc(PIECE + 16, 1); /* zeroed: the eight-byte loads may look past the sentinel */
    spare = malloc(sizeof(double) * (size_t)ncols);
    Py_ssize_t have = 0; /* buf holds the bytes [pos, pos + have) */
    while (buf != NULL && spare != NULL) {
        Py_ssize_t want = end - pos - have;
        if (want > PIECE - have) want = PIECE - have;
        if (want > 0) {
            Py_ssize_t got = source_read(&src, buf + have, pos + have, want);
            if (got < want) { /* the file is shorter than it was */
                status = ST_SHORT_READ;
                pos += have + (got > 0 ? got : 0);
                break;
            }
            have += got;
        }
        if (have == 0) break;
        int last = pos + have >= end;
        buf[have] = '\n'; /* the sentinel */
        const char *p = buf, *limit = buf + have;
        while (p < limit) {
            double *dst = row < capacity ? data + row * ncols : spare;
            int n = 0;
            const char *nl = parse_row(p, &sx, dst, &n);
            if (nl == limit && !last) break; /* an incomplete line: read on */
            if (nl == NULL || (n != 0 && n != ncols)) {
                if (!last && memchr(p, '\n', (size_t)(limit - p)) == NULL) break; /* incomplete */
                status = ST_REFUSED;
                break;
            }
            if (n) {
                if (dst == spare) {
                    status = ST_FULL;
                    break;
                }
                ++row;
            }
            p = nl + 1;
        }
        Py_ssize_t used = (p < limit ? p : limit) - buf;
        pos += used;
        if (status != ST_OK || last) break;
        if (used == 0) { /* one line longer than the buffer */
            status = ST_REFUSED;
            break;
        }
        have -= used;
        memmove(buf, buf + used, (size_t)have);
    }
    Py_END_ALLOW_THREADS

    int nomem = buf == NULL || spare == NULL;
    free(buf);
    free(spare);
    source_close(&src);
    PyBuffer_Release(&out);
    if (nomem) return PyErr_NoMemory();
    return result(status, row - row0, pos);
}

static PyMethodDef methods[] = {
    {"count_lines", count_lines, METH_VARARGS, count_lines_doc},
    {"line_start", line_start, METH_VARARGS, line_start_doc},
    {"parse", parse, METH_VARARGS, parse_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "neurofiles._textparse",
    "Strict, GIL-free tokenizer for numeric text tables (see _text_native.py).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__textparse(void) {
    c_locale = make_c_locale();
    if (!c_locale) {
        PyErr_SetString(PyExc_ImportError, "cannot create the C numeric locale");
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    PyModule_AddIntConstant(m, "OK", ST_OK);
    PyModule_AddIntConstant(m, "REFUSED", ST_REFUSED);
    PyModule_AddIntConstant(m, "SHORT_READ", ST_SHORT_READ);
    PyModule_AddIntConstant(m, "FULL", ST_FULL);
    return m;
}

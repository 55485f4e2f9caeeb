/* counters.c -- "build a dict": count shows and clicks per id in a record file.
 *
 * Part 1 is plain C: it reads the records and counts, touching no Python object,
 * so it runs with the GIL released. Part 2 is the Python glue: argument parsing,
 * turning C errors into exceptions, and building the dict (or JSON string).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "signal_check.h" /* extensions/common: Ctrl-C during a long call */

/* Histogram buckets: totals 0..31 each get a bucket, the last one holds 32 or more. */
#define FREQ_BUCKETS 33
#define FREQ_CAP (FREQ_BUCKETS - 1)

/* ======================= Part 1: plain C, no Python ======================= */

/* [region: table] */
/* One slot of an open-addressing hash table keyed by id. A slot needs only
 * min(total, 32) of each counter -- that is all the histogram looks at -- so
 * the totals saturate in one byte and a slot fits in 16 bytes. */
typedef struct {
    uint64_t id;
    uint8_t used;
    uint8_t shows;
    uint8_t clicks;
} slot;

typedef struct {
    slot *slots;
    size_t mask;  /* capacity - 1; the capacity is a power of two */
    size_t count; /* distinct ids stored */
    int shift;    /* 64 - log2(capacity) */
    int skip;     /* top bits of the hash not used here (0; the partitions' tables: see there) */
} id_table;

/* Fibonacci hashing: multiply by 2**64 / golden ratio, keep the top bits. */
static inline uint64_t
id_hash(uint64_t id)
{
    return id * UINT64_C(0x9E3779B97F4A7C15);
}

static inline size_t
table_index(const id_table *t, uint64_t id)
{
    return (size_t)((id_hash(id) << t->skip) >> t->shift);
}

static int
table_init(id_table *t, int log2_capacity, int skip)
{
    t->slots = calloc((size_t)1 << log2_capacity, sizeof(slot));
    t->mask = ((size_t)1 << log2_capacity) - 1;
    t->count = 0;
    t->shift = 64 - log2_capacity;
    t->skip = skip;
    return t->slots == NULL ? -1 : 0;
}

/* Double the capacity and re-insert every id. */
static int
table_grow(id_table *t)
{
    id_table bigger;
    if (table_init(&bigger, 64 - t->shift + 1, t->skip) < 0)
        return -1;
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->slots[i].used)
            continue;
        size_t j = table_index(&bigger, t->slots[i].id);
        while (bigger.slots[j].used)
            j = (j + 1) & bigger.mask;
        bigger.slots[j] = t->slots[i];
    }
    bigger.count = t->count;
    free(t->slots);
    *t = bigger;
    return 0;
}

/* The slot of `id`, added if new; NULL only when growing runs out of memory.
 * The table is kept at most half full, so linear probing stays short. */
static slot *
table_find_or_add(id_table *t, uint64_t id)
{
    if (2 * (t->count + 1) > t->mask + 1 && table_grow(t) < 0)
        return NULL;
    size_t i = table_index(t, id);
    for (;;) {
        slot *s = &t->slots[i];
        if (!s->used) {
            s->used = 1;
            s->id = id;
            t->count++;
            return s;
        }
        if (s->id == id)
            return s;
        i = (i + 1) & t->mask;
    }
}
/* [end: table] */

/* [region: counts] */
/* The result of one file: exact 64-bit sums, and the two histograms. */
typedef struct {
    uint64_t shows_all, clicks_all, shows_uniq, clicks_uniq;
    uint64_t shows_freq[FREQ_BUCKETS], clicks_freq[FREQ_BUCKETS];
} counts;

/* A slot's total, capped at FREQ_CAP (32): min(total + value, 32) in one byte. */
static inline uint8_t
add_saturating(uint8_t total, uint16_t value)
{
    unsigned sum = (unsigned)total + value;
    return sum > FREQ_CAP ? FREQ_CAP : (uint8_t)sum;
}
/* [end: counts] */

/* [region: records] */
/* A record is packed little-endian: id (uint64, or uint32 when key_size is 4),
 * shows (uint16), clicks (uint16). memcpy + le*toh reads it correctly on any
 * host, aligned or not; on x86 it compiles to a plain load. */
static inline uint64_t
load_id(const unsigned char *p, int key_size)
{
    if (key_size == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return le64toh(v);
    }
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static inline uint16_t
load_u16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return le16toh(v);
}

static int
count_records(id_table *t, counts *c, const unsigned char *p, size_t n, int key_size)
{
    const size_t record_size = (size_t)key_size + 4;
    for (size_t i = 0; i < n; i++, p += record_size) {
        uint16_t shows = load_u16(p + key_size);
        uint16_t clicks = load_u16(p + key_size + 2);
        slot *s = table_find_or_add(t, load_id(p, key_size));
        if (s == NULL)
            return -1;
        c->shows_all += shows;
        c->clicks_all += clicks;
        s->shows = add_saturating(s->shows, shows);
        s->clicks = add_saturating(s->clicks, clicks);
    }
    return 0;
}
/* [end: records] */

/* Each id of `t` adds one to the bucket of its shows total and of its clicks total. */
static void
add_to_histograms(const id_table *t, counts *c)
{
    for (size_t i = 0; i <= t->mask; i++) {
        const slot *s = &t->slots[i];
        if (s->used) {
            c->shows_freq[s->shows]++;
            c->clicks_freq[s->clicks]++;
        }
    }
}

/* [region: partitions] */
/* The next step, for files with many distinct ids. Once the table outgrows the
 * CPU's caches, nearly every record costs a trip to main memory, in random order.
 * Counting in two passes keeps the tables small. The first pass appends each
 * record to one of PARTITIONS lists, chosen by the top bits of its id's hash,
 * writing memory in order. The second counts one list at a time, in a table
 * sized for that list (two slots per record in it): with 512 lists, small enough
 * to stay in the caches for files of a few million records. Every record of an
 * id lands in the same list, so the lists' counts simply add up. The price: all
 * the records are held in memory, 12 bytes each, until the file ends. */
#define PARTITION_BITS 9
#define PARTITIONS (1 << PARTITION_BITS)
#define BLOCK_ENTRIES 4096 /* a list grows a block at a time: nothing is copied */

/* A record as the lists keep it: 12 bytes, packed (no padding to 16). */
typedef struct __attribute__((packed)) {
    uint64_t id;
    uint16_t shows, clicks;
} entry;

typedef struct {
    entry *next, *end;     /* where the next entry goes; the end of the block being filled */
    entry **blocks;        /* every block, the one being filled last */
    size_t block_count;    /* blocks in use */
    size_t block_capacity; /* room in `blocks` */
} partition;

static size_t
partition_length(const partition *part)
{
    return part->block_count == 0
               ? 0
               : (part->block_count - 1) * BLOCK_ENTRIES
                     + (size_t)(part->next - part->blocks[part->block_count - 1]);
}

/* A new block for `part`, when the last is full. */
static int
partition_grow(partition *part)
{
    if (part->block_count == part->block_capacity) {
        size_t capacity = part->block_capacity ? 2 * part->block_capacity : 8;
        entry **bigger = realloc(part->blocks, capacity * sizeof(entry *));
        if (bigger == NULL)
            return -1;
        part->blocks = bigger;
        part->block_capacity = capacity;
    }
    entry *block = malloc(BLOCK_ENTRIES * sizeof(entry));
    if (block == NULL)
        return -1;
    part->blocks[part->block_count++] = block;
    part->next = block;
    part->end = block + BLOCK_ENTRIES;
    return 0;
}

static int
partition_records(partition *parts, counts *c, const unsigned char *p, size_t n, int key_size)
{
    const size_t record_size = (size_t)key_size + 4;
    for (size_t i = 0; i < n; i++, p += record_size) {
        entry e = {load_id(p, key_size), load_u16(p + key_size), load_u16(p + key_size + 2)};
        partition *part = &parts[id_hash(e.id) >> (64 - PARTITION_BITS)];
        if (part->next == part->end && partition_grow(part) < 0)
            return -1;
        *part->next++ = e;
        c->shows_all += e.shows;
        c->clicks_all += e.clicks;
    }
    return 0;
}

static void
partitions_free(partition *parts)
{
    for (int k = 0; k < PARTITIONS; k++) {
        for (size_t b = 0; b < parts[k].block_count; b++)
            free(parts[k].blocks[b]);
        free(parts[k].blocks);
    }
    free(parts);
}

/* The second pass. One allocation, big enough for the longest list, serves every
 * list in turn, used at the size that keeps that list at most half full (two slots
 * per record, however many of its ids repeat), so the table never grows.
 * Its index skips the hash's top bits, which chose the list (they are the same
 * for all of the list's ids). The slots a list filled are noted as they fill, so
 * that adding them to the histograms and clearing them for the next list costs
 * time per id, not per slot. Returns the number of distinct ids, or -1 with
 * `failure` filled in (no memory, or stopped: asked after each block). */
static ptrdiff_t
count_partitions(const partition *parts, counts *c, int (*stop)(void *), void *context,
                 nogil_failure *failure)
{
    size_t longest = 0, distinct = 0;
    ptrdiff_t result = -1;
    for (int k = 0; k < PARTITIONS; k++) {
        size_t length = partition_length(&parts[k]);
        longest = length > longest ? length : longest;
    }
    int log2_longest = 4;
    while (((size_t)1 << log2_longest) < 2 * longest)
        log2_longest++;
    id_table table;
    slot **filled = malloc((longest ? longest : 1) * sizeof(slot *));
    if (filled == NULL || table_init(&table, log2_longest, PARTITION_BITS) < 0) {
        free(filled);
        return fail_no_memory(failure);
    }
    for (int k = 0; k < PARTITIONS; k++) {
        const partition *part = &parts[k];
        int log2_capacity = 4;
        while (((size_t)1 << log2_capacity) < 2 * partition_length(part))
            log2_capacity++;
        table.mask = ((size_t)1 << log2_capacity) - 1;
        table.shift = 64 - log2_capacity;
        table.count = 0;
        for (size_t b = 0; b < part->block_count; b++) {
            const entry *e = part->blocks[b];
            const entry *end = b + 1 < part->block_count ? e + BLOCK_ENTRIES : part->next;
            for (; e < end; e++) {
                size_t before = table.count;
                slot *s = table_find_or_add(&table, e->id); /* never NULL: no growth */
                if (table.count != before)
                    filled[before] = s;
                s->shows = add_saturating(s->shows, e->shows);
                s->clicks = add_saturating(s->clicks, e->clicks);
            }
            if (stop(context)) { /* after each block: one list may hold most records */
                fail_stopped(failure);
                goto done;
            }
        }
        for (size_t i = 0; i < table.count; i++) {
            c->shows_freq[filled[i]->shows]++;
            c->clicks_freq[filled[i]->clicks]++;
            *filled[i] = (slot){0};
        }
        distinct += table.count;
    }
    result = (ptrdiff_t)distinct;
done:
    free(table.slots);
    free(filled);
    return result;
}
/* [end: partitions] */

/* [region: count_file] */
#define RECORDS_PER_READ 65536

/* Read every record of `path` (as `format`: a reader_format or READER_AUTO)
 * and fill `c`: with one table, or, when `partitioned`, in the two passes above.
 * Returns 0, or -1 with `failure` filled in: no Python object is touched
 * here, so this runs without the GIL. After each buffer it asks stop(context)
 * whether to give up (Part 2 answers: when Ctrl-C was pressed). */
static int
count_file(const char *path, int format, int key_size, int partitioned, counts *c,
           int (*stop)(void *), void *context, nogil_failure *failure)
{
    const size_t record_size = (size_t)key_size + 4;
    const size_t buffer_size = RECORDS_PER_READ * record_size;
    id_table table = {0};
    partition *parts = NULL;
    unsigned char *buffer = NULL;
    uint64_t offset = 0; /* uncompressed bytes counted so far */
    size_t carry = 0;    /* bytes of an incomplete record at the buffer's start */
    int status = -1;

    memset(c, 0, sizeof(*c));
    reader *r = reader_open(path, format, failure);
    if (r == NULL)
        return -1;
    buffer = malloc(buffer_size);
    if (buffer == NULL
        || (partitioned ? (parts = calloc(PARTITIONS, sizeof(partition))) == NULL
                        : table_init(&table, 16, 0) < 0)) {
        fail_no_memory(failure);
        goto done;
    }

    for (;;) {
        ssize_t got = reader_read(r, buffer + carry, buffer_size - carry, failure);
        if (got < 0)
            goto done;
        if (got == 0)
            break;
        size_t available = carry + (size_t)got;
        size_t records = available / record_size;
        if ((partitioned ? partition_records(parts, c, buffer, records, key_size)
                         : count_records(&table, c, buffer, records, key_size))
            < 0) {
            fail_no_memory(failure);
            goto done;
        }
        offset += records * record_size;
        carry = available - records * record_size;
        memmove(buffer, buffer + records * record_size, carry);
        if (stop(context)) {
            fail_stopped(failure);
            goto done;
        }
    }
    if (carry != 0) {
        fail_data(failure,
                  "truncated record at byte offset %" PRIu64 ": %zu trailing bytes, "
                  "records are %zu bytes (key_size=%d)",
                  offset, carry, record_size, key_size);
        goto done;
    }

    ptrdiff_t distinct;
    if (partitioned) {
        distinct = count_partitions(parts, c, stop, context, failure);
        if (distinct < 0)
            goto done;
    }
    else {
        add_to_histograms(&table, c);
        distinct = (ptrdiff_t)table.count;
    }
    c->shows_uniq = (uint64_t)distinct - c->shows_freq[0];
    c->clicks_uniq = (uint64_t)distinct - c->clicks_freq[0];
    status = 0;

done:
    free(table.slots);
    if (parts != NULL)
        partitions_free(parts);
    free(buffer);
    reader_close(r);
    return status;
}
/* [end: count_file] */

/* [region: textbuf] */
/* A growable text buffer: every append checks the room it needs, so no count,
 * however large, and no entity type, however long, can write past the end.
 * (The lecture's version used sprintf into a fixed char[1024].) */
typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* out of memory at some append: the text is incomplete */
} textbuf;

static void
text_append(textbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void
text_puts(textbuf *b, const char *s)
{
    text_append(b, s, strlen(s));
}

static void
text_u64(textbuf *b, uint64_t v)
{
    char digits[21]; /* 2**64 - 1 has 20 digits */
    int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
    text_append(b, digits, (size_t)n);
}
/* [end: textbuf] */

/* ======================= Part 2: the Python glue ======================= */

/* [region: json_string] */
/* Append `s` as a JSON string exactly as json.dumps() writes it (ASCII only:
 * other characters become \uXXXX, outside the BMP as a surrogate pair). */
static void
text_json_string(textbuf *b, PyObject *s)
{
    static const char hex[] = "0123456789abcdef";
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t length = PyUnicode_GET_LENGTH(s);

    text_append(b, "\"", 1);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        char esc[12];
        switch (ch) {
            case '"':
                text_append(b, "\\\"", 2);
                continue;
            case '\\':
                text_append(b, "\\\\", 2);
                continue;
            case '\n':
                text_append(b, "\\n", 2);
                continue;
            case '\r':
                text_append(b, "\\r", 2);
                continue;
            case '\t':
                text_append(b, "\\t", 2);
                continue;
            case '\b':
                text_append(b, "\\b", 2);
                continue;
            case '\f':
                text_append(b, "\\f", 2);
                continue;
        }
        if (ch >= 0x20 && ch < 0x7f) {
            esc[0] = (char)ch;
            text_append(b, esc, 1);
            continue;
        }
        Py_UCS4 units[2];
        int nunits = 1;
        units[0] = ch;
        if (ch > 0xffff) {
            ch -= 0x10000;
            units[0] = 0xd800 | (ch >> 10);
            units[1] = 0xdc00 | (ch & 0x3ff);
            nunits = 2;
        }
        for (int u = 0; u < nunits; u++) {
            char *e = esc;
            *e++ = '\\';
            *e++ = 'u';
            for (int shift = 12; shift >= 0; shift -= 4)
                *e++ = hex[(units[u] >> shift) & 0xf];
            text_append(b, esc, 6);
        }
    }
    text_append(b, "\"", 1);
}
/* [end: json_string] */

static void
text_json_list(textbuf *b, const uint64_t *values)
{
    text_append(b, "[", 1);
    for (int i = 0; i < FREQ_BUCKETS; i++) {
        if (i > 0)
            text_append(b, ", ", 2);
        text_u64(b, values[i]);
    }
    text_append(b, "]", 1);
}

/* The result as JSON text, key for key what json.dumps(result_dict) gives. */
static PyObject *
counts_as_json(PyObject *entity_type, uint64_t entity_id, const counts *c)
{
    textbuf b = {0};
    text_puts(&b, "{\"type\": ");
    text_json_string(&b, entity_type);
    text_puts(&b, ", \"id\": ");
    text_u64(&b, entity_id);
    text_puts(&b, ", \"shows_all\": ");
    text_u64(&b, c->shows_all);
    text_puts(&b, ", \"clicks_all\": ");
    text_u64(&b, c->clicks_all);
    text_puts(&b, ", \"shows_uniq\": ");
    text_u64(&b, c->shows_uniq);
    text_puts(&b, ", \"clicks_uniq\": ");
    text_u64(&b, c->clicks_uniq);
    text_puts(&b, ", \"shows_freq\": ");
    text_json_list(&b, c->shows_freq);
    text_puts(&b, ", \"clicks_freq\": ");
    text_json_list(&b, c->clicks_freq);
    text_puts(&b, "}");

    PyObject *result =
        b.failed ? PyErr_NoMemory() : PyUnicode_DecodeASCII(b.data, (Py_ssize_t)b.len, "strict");
    free(b.data);
    return result;
}

/* [region: dict] */
/* PyDict_SetItemString does NOT steal a reference to the value: the new int
 * must be released here, or every call leaks one object per key. */
static int
dict_set_u64(PyObject *dict, const char *key, uint64_t value)
{
    PyObject *number = PyLong_FromUnsignedLongLong(value);
    if (number == NULL)
        return -1;
    int rc = PyDict_SetItemString(dict, key, number);
    Py_DECREF(number);
    return rc;
}

/* PyList_SET_ITEM DOES steal the reference: no DECREF for the items. */
static int
dict_set_histogram(PyObject *dict, const char *key, const uint64_t *freq)
{
    PyObject *list = PyList_New(FREQ_BUCKETS);
    if (list == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < FREQ_BUCKETS; i++) {
        PyObject *number = PyLong_FromUnsignedLongLong(freq[i]);
        if (number == NULL) {
            Py_DECREF(list);
            return -1;
        }
        PyList_SET_ITEM(list, i, number);
    }
    int rc = PyDict_SetItemString(dict, key, list);
    Py_DECREF(list);
    return rc;
}

static PyObject *
counts_as_dict(PyObject *entity_type, uint64_t entity_id, const counts *c)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL)
        return NULL;
    if (PyDict_SetItemString(dict, "type", entity_type) < 0
        || dict_set_u64(dict, "id", entity_id) < 0
        || dict_set_u64(dict, "shows_all", c->shows_all) < 0
        || dict_set_u64(dict, "clicks_all", c->clicks_all) < 0
        || dict_set_u64(dict, "shows_uniq", c->shows_uniq) < 0
        || dict_set_u64(dict, "clicks_uniq", c->clicks_uniq) < 0
        || dict_set_histogram(dict, "shows_freq", c->shows_freq) < 0
        || dict_set_histogram(dict, "clicks_freq", c->clicks_freq) < 0) {
        Py_DECREF(dict);
        return NULL;
    }
    return dict;
}
/* [end: dict] */

/* [region: errors] */
/* Turn a nogil_failure into the matching Python exception (the GIL is held
 * again). `path_bytes` is the file name from PyUnicode_FSConverter; the
 * exception names it as a str, whatever type the caller passed. */
static void
raise_failure(const nogil_failure *failure, PyObject *path_bytes)
{
    PyObject *path = PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(path_bytes),
                                                      PyBytes_GET_SIZE(path_bytes));
    if (path == NULL)
        return; /* the decoding error is the exception */
    switch (failure->kind) {
        case FAILURE_OS:
            errno = failure->error_number;
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
            break;
        case FAILURE_NO_MEMORY:
            PyErr_NoMemory();
            break;
        default:
            PyErr_Format(PyExc_ValueError, "%R: %s", path, failure->reason);
            break;
    }
    Py_DECREF(path);
}
/* [end: errors] */

PyDoc_STRVAR(get_counters_doc,
             "get_counters(filepath, entity_type, entity_id, key_size=8, as_json=False, *,\n"
             "             format='auto', partitioned=False)\n"
             "--\n"
             "\n"
             "Count shows and clicks per id in a record file.\n"
             "\n"
             "The file holds packed little-endian records: id (uint64, or uint32 when\n"
             "key_size=4), shows (uint16), clicks (uint16). It may be plain, gzip or\n"
             "LZ4-frame compressed: format='plain', 'gzip' or 'lz4' says which, and\n"
             "'auto' detects it from the file's first bytes (see detect_format).\n"
             "Concatenated gzip members and LZ4 frames are read in turn; like zlib, data\n"
             "after the last gzip member that is not gzip is ignored. An empty file has\n"
             "no records.\n"
             "\n"
             "Per distinct id, shows and clicks are summed over its records. The result:\n"
             "  type, id            entity_type and entity_id, as given\n"
             "  shows_all           sum of shows over all records (clicks_all likewise)\n"
             "  shows_uniq          number of ids whose total shows is non-zero\n"
             "  shows_freq          list of 33 counts: item k < 32 is the number of ids\n"
             "                      whose total shows is exactly k; item 32 the number\n"
             "                      with 32 or more (so sum(shows_freq) is the number of\n"
             "                      distinct ids; clicks_freq likewise)\n"
             "With as_json=True the same content is returned as a JSON string, equal to\n"
             "json.dumps() of the dict.\n"
             "\n"
             "entity_id is an int in 0..2**64-1. Raises OSError when the file cannot be\n"
             "read, ValueError for key_size other than 4 or 8, an unknown format, a\n"
             "truncated record (with its byte offset), a corrupt compressed stream (for a\n"
             "detected format the message says so: a plain file whose first record looks\n"
             "like a header is read with format='plain') or a file that does not start as\n"
             "the format given does.\n"
             "\n"
             "partitioned=True counts in two passes: the records are first sorted into\n"
             "512 lists by their id's hash, then each list is counted with a small table\n"
             "of its own. Same result; faster when the ids are many (the one table would\n"
             "not fit in the CPU's caches), at the cost of holding every record in memory\n"
             "(12 bytes each) until the file ends.\n"
             "\n"
             "The file is read and counted with the GIL released;\n"
             "Ctrl-C (a signal handler that raises) stops it within about 50 ms.");

/* An O& converter: format='auto', 'plain', 'gzip' or 'lz4', to READER_AUTO
 * or a reader_format. */
static int
format_converter(PyObject *arg, void *address)
{
    static const struct {
        const char *name;
        int format;
    } names[] = {
        {"auto", READER_AUTO},
        {"plain", FORMAT_PLAIN},
        {"gzip", FORMAT_GZIP},
        {"lz4", FORMAT_LZ4},
    };
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "format must be a str, not %.100s", Py_TYPE(arg)->tp_name);
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (PyUnicode_CompareWithASCIIString(arg, names[i].name) == 0) {
            *(int *)address = names[i].format;
            return 1;
        }
    }
    PyErr_Format(PyExc_ValueError,
                 "format must be 'auto', 'plain', 'gzip' or 'lz4', "
                 "not %R",
                 arg);
    return 0;
}

/* count_file's stop(): Ctrl-C (any signal whose handler raises) ends the count. */
static int
stop_on_signal(void *check)
{
    return signal_check_stop(check);
}

/* [region: get_counters] */
static PyObject *
get_counters(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"filepath", "entity_type", "entity_id",   "key_size",
                             "as_json",  "format",      "partitioned", NULL};
    PyObject *path = NULL; /* filepath as bytes, from PyUnicode_FSConverter */
    PyObject *entity_type, *entity_id;
    int key_size = 8, as_json = 0, format = READER_AUTO, partitioned = 0;
    counts c;
    nogil_failure failure = {0};
    PyObject *result = NULL;

    /* O& runs a converter (str, bytes or os.PathLike -> bytes), U wants a str,
     * O! an int, i a C int, p any object's truth value; after $ come keyword-only
     * arguments (format, through a converter of ours). On failure the parser
     * has already set a precise TypeError: just return NULL. */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&UO!|ip$O&p:get_counters", kwlist,
                                     PyUnicode_FSConverter, &path, &entity_type, &PyLong_Type,
                                     &entity_id, &key_size, &as_json, format_converter, &format,
                                     &partitioned))
        return NULL;

    uint64_t id = PyLong_AsUnsignedLongLong(entity_id);
    if (id == (uint64_t)-1 && PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "entity_id must be in 0..2**64-1");
        goto done;
    }
    if (key_size != 4 && key_size != 8) {
        PyErr_Format(PyExc_ValueError, "key_size must be 4 or 8, not %d", key_size);
        goto done;
    }

    int status;
    /* Py_BEGIN_ALLOW_THREADS spelled out: the check needs the released thread state. */
    signal_check check = {PyEval_SaveThread(), {0, 0}};
    status = count_file(PyBytes_AS_STRING(path), format, key_size, partitioned, &c, stop_on_signal,
                        &check, &failure);
    PyEval_RestoreThread(check.thread);
    if (status < 0) {
        if (failure.kind != FAILURE_STOPPED) /* stopped: the handler's exception is set */
            raise_failure(&failure, path);
        goto done;
    }

    result = as_json ? counts_as_json(entity_type, id, &c) : counts_as_dict(entity_type, id, &c);
done:
    Py_DECREF(path);
    return result;
}
/* [end: get_counters] */

PyDoc_STRVAR(detect_format_doc,
             "detect_format(filepath)\n"
             "--\n"
             "\n"
             "The format get_counters() would read the file as: FORMAT_PLAIN, FORMAT_GZIP\n"
             "or FORMAT_LZ4, from the file's first bytes. gzip or LZ4 only when the file\n"
             "starts with a complete, valid header of that format (magic number, flags,\n"
             "header checksum; a gzip header's optional fields must end in its first\n"
             "64 KiB); anything else is plain. Raises OSError if it cannot be opened.");

static PyObject *
detect_format(PyObject *Py_UNUSED(module), PyObject *arg)
{
    PyObject *path = NULL;
    nogil_failure failure = {0};
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    reader *r;
    Py_BEGIN_ALLOW_THREADS
    r = reader_open(PyBytes_AS_STRING(path), READER_AUTO, &failure);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (r == NULL) {
        raise_failure(&failure, path);
    }
    else {
        result = PyLong_FromLong(reader_format_of(r));
        reader_close(r);
    }
    Py_DECREF(path);
    return result;
}

/* [region: module] */
static PyMethodDef counters_methods[] = {
    /* A METH_VARARGS | METH_KEYWORDS function takes (self, args, kwargs); the
     * table stores it as a two-argument PyCFunction, hence the cast (through
     * void(*)(void), which tells gcc's -Wcast-function-type it is meant). */
    {"get_counters", (PyCFunction)(void (*)(void))get_counters, METH_VARARGS | METH_KEYWORDS,
     get_counters_doc},
    {"detect_format", detect_format, METH_O, detect_format_doc},
    {NULL, NULL, 0, NULL},
};

/* Runs when the module object exists (PEP 489 multi-phase init): add the
 * constants. PyModule_AddIntMacro(m, X) adds an attribute named "X". */
static int
counters_exec(PyObject *module)
{
    if (PyModule_AddIntMacro(module, FREQ_BUCKETS) < 0
        || PyModule_AddIntMacro(module, FORMAT_PLAIN) < 0
        || PyModule_AddIntMacro(module, FORMAT_GZIP) < 0
        || PyModule_AddIntMacro(module, FORMAT_LZ4) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot counters_slots[] = {
    {Py_mod_exec, counters_exec},
#if PY_VERSION_HEX >= 0x030C0000
    /* No mutable C globals (only constant tables), so each subinterpreter
     * may have its own GIL... */
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* ...and a free-threaded build need not re-enable the GIL for us. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(counters_doc, "Count shows and clicks per id in plain, gzip or LZ4 record files.");

static struct PyModuleDef counters_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "counters",
    .m_doc = counters_doc,
    .m_size = 0, /* no per-module state: nothing to keep between calls */
    .m_methods = counters_methods,
    .m_slots = counters_slots,
};

PyMODINIT_FUNC
PyInit_counters(void)
{
    return PyModuleDef_Init(&counters_module);
}
/* [end: module] */

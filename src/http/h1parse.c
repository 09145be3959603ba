#include "http/h1parse.h"

#include <string.h>
#include <strings.h>

#include "core/hex.h"

/* RFC 9110 §5.6.2 tchar. */
static const unsigned char TCHAR[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
    ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

bool h1_is_tchar(unsigned char c) { return TCHAR[c] != 0; }

/* A field value byte (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB. */
static inline bool value_byte(unsigned char c) { return c >= 0x20 ? c != 0x7f : c == '\t'; }

static size_t skip_leading_crlf(const char *buf, size_t len) {
  size_t i = 0;
  while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') i += 2;
  return i;
}

size_t h1_head_end(const char *buf, size_t len, size_t *from) {
  size_t start = skip_leading_crlf(buf, len);
  size_t i = *from > start ? *from : start;
  /* Back up so a CRLFCRLF split across two reads is seen. */
  i = i >= start + 3 ? i - 3 : start;
  while (i + 4 <= len) {
    const char *cr = memchr(buf + i, '\r', len - i - 3);
    if (!cr) break;
    i = (size_t)(cr - buf);
    if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') return i + 4;
    i++;
  }
  *from = len;
  return 0;
}

/* One line ending in CRLF starting at p (< end); returns the CR or NULL
 * when the line holds a bare LF or has no CR before end. */
static char *line_end(char *p, char *end) {
  char *cr = memchr(p, '\r', (size_t)(end - p));
  if (!cr || cr + 1 >= end || cr[1] != '\n') return NULL;
  if (memchr(p, '\n', (size_t)(cr - p))) return NULL;
  return cr;
}

h1_status_t h1_parse_head(char *buf, size_t head_end, size_t max_headers, h1_request_t *out) {
  if (max_headers > H1_MAX_HEADERS) max_headers = H1_MAX_HEADERS;
  char *p = buf + skip_leading_crlf(buf, head_end), *end = buf + head_end;
  out->nheaders = 0;
  out->head_len = head_end;

  /* request-line = method SP request-target SP HTTP-version CRLF */
  char *cr = line_end(p, end);
  if (!cr) return H1_BAD;
  char *m = p;
  while (p < cr && TCHAR[(unsigned char)*p]) p++;
  if (p == m || p >= cr || *p != ' ') return H1_BAD;
  out->method = m;
  out->method_len = (size_t)(p - m);
  *p++ = '\0';
  char *t = p;
  while (p < cr && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f) p++;
  if (p == t || p >= cr || *p != ' ') return H1_BAD;
  out->target = t;
  out->target_len = (size_t)(p - t);
  *p++ = '\0';
  if (cr - p != 8 || memcmp(p, "HTTP/1.", 7) != 0) {
    /* Looks like a version, just not ours: 505; else malformed. */
    if (cr - p == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9')
      return H1_BAD_VERSION;
    return H1_BAD;
  }
  if (p[7] == '0' || p[7] == '1')
    out->minor = p[7] - '0';
  else if (p[7] >= '2' && p[7] <= '9')
    return H1_BAD_VERSION;
  else
    return H1_BAD;
  p = cr + 2;

  /* field-line = field-name ":" OWS field-value OWS CRLF, until a blank line */
  for (;;) {
    cr = line_end(p, end);
    if (!cr) return H1_BAD;
    if (cr == p) { /* the blank line */
      p += 2;
      break;
    }
    char *n = p;
    while (p < cr && TCHAR[(unsigned char)*p]) p++;
    /* No name, whitespace before the colon, obs-fold (a line starting with
     * whitespace), or a byte no name may hold: all refused. */
    if (p == n || p >= cr || *p != ':') return H1_BAD;
    if (out->nheaders >= max_headers) return H1_TOO_MANY_HEADERS;
    h1_header_t *h = &out->headers[out->nheaders++];
    h->name = n;
    h->name_len = (size_t)(p - n);
    *p++ = '\0';
    while (p < cr && (*p == ' ' || *p == '\t')) p++;
    char *v = p;
    for (; p < cr; p++)
      if (!value_byte((unsigned char)*p)) return H1_BAD;
    char *ve = cr;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    h->value = v;
    h->value_len = (size_t)(ve - v);
    *ve = '\0';
    p = cr + 2;
  }
  if (p != end) return H1_BAD; /* the blank line must end the head */
  return H1_OK;
}

const char *h1_header(const h1_request_t *req, const char *name, size_t name_len) {
  for (size_t i = 0; i < req->nheaders; i++)
    if (req->headers[i].name_len == name_len && strncasecmp(req->headers[i].name, name, name_len) == 0)
      return req->headers[i].value;
  return NULL;
}

h1_status_t h1_framing(const h1_request_t *req, h1_framing_t *out) {
  const h1_header_t *cl = NULL, *te = NULL;
  for (size_t i = 0; i < req->nheaders; i++) {
    const h1_header_t *h = &req->headers[i];
    if (h->name_len == 14 && strcasecmp(h->name, "content-length") == 0) {
      if (cl) return H1_BAD;
      cl = h;
    } else if (h->name_len == 17 && strcasecmp(h->name, "transfer-encoding") == 0) {
      if (te) return H1_BAD;
      te = h;
    }
  }
  out->kind = H1_BODY_NONE;
  out->length = 0;
  if (te) {
    if (cl || req->minor == 0 || te->value_len != 7 || strcasecmp(te->value, "chunked") != 0) return H1_BAD;
    out->kind = H1_BODY_CHUNKED;
    return H1_OK;
  }
  if (cl) {
    if (cl->value_len == 0 || cl->value_len > 19) return H1_BAD; /* 19 digits always fit in uint64 */
    uint64_t n = 0;
    for (size_t i = 0; i < cl->value_len; i++) {
      char c = cl->value[i];
      if (c < '0' || c > '9') return H1_BAD;
      n = n * 10 + (uint64_t)(c - '0');
    }
    out->kind = H1_BODY_LENGTH;
    out->length = n;
  }
  return H1_OK;
}

/* Is `tok` one of the comma-separated tokens in v (case-insensitive)? */
static bool list_has(const char *v, const char *tok, size_t tlen) {
  while (*v) {
    while (*v == ' ' || *v == '\t' || *v == ',') v++;
    const char *s = v;
    while (*v && *v != ',') v++;
    const char *e = v;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if ((size_t)(e - s) == tlen && strncasecmp(s, tok, tlen) == 0) return true;
  }
  return false;
}

bool h1_keep_alive(const h1_request_t *req) {
  bool close = false, keep = false;
  for (size_t i = 0; i < req->nheaders; i++) {
    const h1_header_t *h = &req->headers[i];
    if (h->name_len != 10 || strcasecmp(h->name, "connection") != 0) continue;
    close |= list_has(h->value, "close", 5);
    keep |= list_has(h->value, "keep-alive", 10);
  }
  if (close) return false;
  return req->minor == 1 || keep;
}

enum {
  CH_SIZE,      /* reading hex digits */
  CH_SIZE_WS,   /* whitespace after the size: only ';' may follow */
  CH_EXT,       /* after ';': extensions up to CR */
  CH_SIZE_LF,   /* saw CR after the size line */
  CH_DATA,
  CH_DATA_CR,   /* data done: expect CR */
  CH_DATA_LF,
  CH_TRAILER,   /* at the start of a trailer line (or the final blank line) */
  CH_TRAILER_NAME, /* in a trailer field's name: tchar up to ':' */
  CH_TRAILER_LINE, /* in its value, up to CR */
  CH_TRAILER_LF,
  CH_END_LF,    /* saw CR at the start of a line: the blank line's LF */
  CH_DONE,
};

/* One byte of the rest of a chunk extension or trailer line: the CR that
 * ends it, a byte it may hold (counted against max), or a refusal (a bare
 * LF, a control byte, the line or section too long). */
enum { LINE_BYTE, LINE_END, LINE_BAD };
static int line_rest(unsigned char ch, size_t *count, size_t max) {
  if (ch == '\r') return LINE_END;
  if (ch == '\n' || (ch < 0x20 && ch != '\t') || ch == 0x7f) return LINE_BAD;
  return ++*count > max ? LINE_BAD : LINE_BYTE;
}

long h1_chunked_decode(h1_chunked_t *c, char *buf, size_t len, size_t *data_len, bool *done) {
  size_t i = 0, out = 0;
  *done = false;
  while (i < len) {
    unsigned char ch = (unsigned char)buf[i];
    switch (c->state) {
    case CH_SIZE: {
      int h = hex_digit((unsigned char)ch);
      if (h >= 0) {
        if (++c->digits > 15) return -1; /* keeps remaining < 2^60 */
        c->remaining = c->remaining * 16 + (uint64_t)h;
      } else if (c->digits > 0 && ch == ';') {
        c->state = CH_EXT;
      } else if (c->digits > 0 && (ch == ' ' || ch == '\t')) {
        c->state = CH_SIZE_WS;
      } else if (c->digits > 0 && ch == '\r') {
        c->state = CH_SIZE_LF;
      } else {
        return -1; /* no digits, or a byte a size line may not hold */
      }
      if (ch != '\r' && ++c->line > H1_CHUNK_LINE_MAX) return -1;
      i++;
      break;
    }
    case CH_SIZE_WS:
      /* RFC 9112 §7.1.1: BWS only before ';'. "1 2" or "5 x" is not a
       * size a peer could read the same way, so it is refused. */
      if (ch == ';')
        c->state = CH_EXT;
      else if (ch != ' ' && ch != '\t')
        return -1;
      if (ch != '\r' && ++c->line > H1_CHUNK_LINE_MAX) return -1;
      i++;
      break;
    case CH_EXT:
      switch (line_rest(ch, &c->line, H1_CHUNK_LINE_MAX)) {
      case LINE_END: c->state = CH_SIZE_LF; break;
      case LINE_BAD: return -1;
      default: break;
      }
      i++;
      break;
    case CH_SIZE_LF:
      if (ch != '\n') return -1;
      i++;
      c->line = 0;
      c->digits = 0;
      c->state = c->remaining ? CH_DATA : CH_TRAILER;
      break;
    case CH_DATA: {
      size_t n = len - i;
      if ((uint64_t)n > c->remaining) n = (size_t)c->remaining;
      if (out != i) memmove(buf + out, buf + i, n);
      out += n;
      i += n;
      c->remaining -= n;
      if (!c->remaining) c->state = CH_DATA_CR;
      break;
    }
    case CH_DATA_CR:
      if (ch != '\r') return -1;
      c->state = CH_DATA_LF;
      i++;
      break;
    case CH_DATA_LF:
      if (ch != '\n') return -1;
      c->state = CH_SIZE;
      i++;
      break;
    case CH_TRAILER:
      if (ch == '\r') {
        c->state = CH_END_LF;
      } else {
        /* A trailer field: name ':' value, read and dropped. */
        if (!TCHAR[ch]) return -1;
        c->state = CH_TRAILER_NAME;
      }
      if (ch != '\r' && ++c->trailers > H1_TRAILERS_MAX) return -1;
      i++;
      break;
    case CH_TRAILER_NAME:
      /* As in the head: a line with no ':' or whitespace before it is
       * malformed, not a field to skip. */
      if (ch == ':')
        c->state = CH_TRAILER_LINE;
      else if (!TCHAR[ch])
        return -1;
      if (ch != '\r' && ++c->trailers > H1_TRAILERS_MAX) return -1;
      i++;
      break;
    case CH_TRAILER_LINE:
      switch (line_rest(ch, &c->trailers, H1_TRAILERS_MAX)) {
      case LINE_END: c->state = CH_TRAILER_LF; break;
      case LINE_BAD: return -1;
      default: break;
      }
      i++;
      break;
    case CH_TRAILER_LF:
      if (ch != '\n') return -1;
      c->state = CH_TRAILER;
      i++;
      break;
    case CH_END_LF:
      if (ch != '\n') return -1;
      c->state = CH_DONE;
      i++;
      *data_len = out;
      *done = true;
      return (long)i;
    default:
      return -1;
    }
  }
  *data_len = out;
  return (long)i;
}

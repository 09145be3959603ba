/*
 * checker.c — libcustos's in-process gateway decision (custos.h,
 * "Gateway decisions in-process"): a custos node without the HTTP server.
 *
 * Bring-up and tear-down are serve's own (app_open/app_close,
 * src/server/app.c), the decision is /v1/check's own (decide(),
 * src/server/decide.c) and so are the identity header names
 * (identity_each_header) and the error bodies (render_for_profile). This
 * file only adapts them to the public types, so the in-process answer is
 * the gateway's answer byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos.h"
#include "core/config.h"
#include "core/log.h"
#include "http/render.h"
#include "http/server.h"
#include "perm/authreq.h"
#include "perm/identity.h"
#include "server/app.h"
#include "server/decide.h"

extern char **environ;

struct custos_checker {
  app_t *app;
};

struct custos_decision {
  int status;
  int retry_after;             /* seconds, 0 = none */
  const char *code;            /* static; NULL when allowed */
  char *body;                  /* malloc'd refusal body; NULL when allowed */
  size_t body_len;
  size_t nheaders;
  struct { const char *name, *value; } headers[IDENTITY_HEADERS_MAX];
  char retry_text[16];         /* Retry-After's value */
  identity_t id;               /* identity header values point here */
};

CUSTOS_API int custos_checker_new(const char *config_path, custos_checker_t **out) {
  if (!out) return CUSTOS_EINVAL;
  custos_checker_t *c = calloc(1, sizeof *c);
  app_t *a = calloc(1, sizeof *a);
  if (!c || !a) {
    free(c);
    free(a);
    return CUSTOS_ENOMEM;
  }
  /* serve's own configuration chain, given the file as `--config` would. */
  char *argv[] = {"custos-checker", "--config", (char *)config_path, NULL};
  int argc = config_path ? 3 : 1;
  config_problems_t *probs = malloc(sizeof *probs); /* ~19 KiB: not on a caller's stack */
  if (!probs) {
    free(c);
    app_close(a);
    return CUSTOS_ENOMEM;
  }
  config_problems_init(probs);
  int argi = 0;
  int rc = config_from_args(&a->cfg, argc, argv, environ, probs, &argi);
  if (rc != CUSTOS_OK) {
    config_problems_print(probs, probs->file, stderr);
    free(probs);
    free(c);
    app_close(a);
    return rc < 0 ? rc : CUSTOS_EINVAL;
  }
  free(probs);
  log_set_level((log_level_t)log_level_parse(a->cfg.log_level));
  rc = app_open(a);
  if (rc != CUSTOS_OK) {
    free(c);
    app_close(a);
    return rc;
  }
  c->app = a;
  *out = c;
  return CUSTOS_OK;
}

CUSTOS_API void custos_checker_free(custos_checker_t *c) {
  if (!c) return;
  app_close(c->app);
  free(c);
}

static int add_header(void *ctx, const char *name, const char *value) {
  custos_decision_t *d = ctx;
  if (d->nheaders >= IDENTITY_HEADERS_MAX) return -1;
  d->headers[d->nheaders].name = name;
  d->headers[d->nheaders].value = value;
  d->nheaders++;
  return 0;
}

/* The refusal as http_reply_error would send it (status, Retry-After,
 * body in the deciding profile's shape). */
static int refuse(custos_decision_t *d, const cerr_t *e, const char *profile, const char *request_id) {
  buf_t b;
  buf_init(&b, 0);
  if (render_for_profile(profile)(e, request_id, &b) != CUSTOS_OK) {
    buf_cleanup(&b);
    return CUSTOS_ENOMEM;
  }
  d->body_len = b.len;
  d->body = buf_take(&b);
  if (!d->body) return CUSTOS_ENOMEM;
  d->status = e->status;
  d->code = e->code && e->code[0] ? e->code : CERR_INTERNAL;
  if (e->retry_after_s > 0) {
    d->retry_after = e->retry_after_s;
    snprintf(d->retry_text, sizeof d->retry_text, "%d", e->retry_after_s);
    (void)add_header(d, "Retry-After", d->retry_text);
  }
  if (d->status == 429) return CUSTOS_ELIMIT;
  return d->status >= 500 ? CUSTOS_ESTORE : CUSTOS_EDENIED;
}

CUSTOS_API int custos_check(custos_checker_t *c, const char *method, const char *uri, custos_header_fn headers,
                            void *ctx, const char *request_id, custos_decision_t **out) {
  if (out) *out = NULL;
  if (!c || !method || !uri || !out) return CUSTOS_EINVAL;
  custos_decision_t *d = calloc(1, sizeof *d);
  if (!d) return CUSTOS_ENOMEM;
  if (request_id && !http_request_id_sane(request_id)) request_id = NULL;
  authreq_t rq;
  cerr_t e;
  cerr_clear(&e);
  const char *profile = NULL; /* a malformed request is refused in custos's shape, as /v1/check does */
  int rc = authreq_from_parts(&rq, method, uri, headers, ctx, &e);
  if (rc == CUSTOS_OK) rc = decide(c->app, &rq, &d->id, &profile, &e);
  if (rc == CUSTOS_OK) {
    d->status = 200;
    if (identity_each_header(&d->id, add_header, d) != 0) {
      /* Cannot happen (the array holds every identity header); as in
       * check.c, an identity that cannot go out whole goes out as none. */
      d->nheaders = 0;
      cerr_set(&e, 500, CERR_INTERNAL, NULL, "internal error");
      rc = refuse(d, &e, NULL, request_id);
    }
  } else {
    rc = refuse(d, &e, profile, request_id);
  }
  if (rc == CUSTOS_ENOMEM) {
    custos_decision_free(d);
    return rc;
  }
  *out = d;
  return rc;
}

CUSTOS_API int custos_decision_status(const custos_decision_t *d) { return d ? d->status : 0; }

CUSTOS_API const char *custos_decision_code(const custos_decision_t *d) { return d ? d->code : NULL; }

CUSTOS_API size_t custos_decision_header_count(const custos_decision_t *d) { return d ? d->nheaders : 0; }

CUSTOS_API int custos_decision_header(const custos_decision_t *d, size_t i, const char **name, const char **value) {
  if (!d || !name || !value || i >= d->nheaders) return CUSTOS_EINVAL;
  *name = d->headers[i].name;
  *value = d->headers[i].value;
  return CUSTOS_OK;
}

CUSTOS_API const char *custos_decision_get(const custos_decision_t *d, const char *name) {
  if (!d || !name) return NULL;
  for (size_t i = 0; i < d->nheaders; i++)
    if (strcasecmp(d->headers[i].name, name) == 0) return d->headers[i].value;
  return NULL;
}

CUSTOS_API const char *custos_decision_body(const custos_decision_t *d, size_t *len) {
  if (len) *len = d && d->body ? d->body_len : 0;
  return d && d->body ? d->body : "";
}

CUSTOS_API const char *custos_decision_content_type(const custos_decision_t *d) {
  return d && d->body ? "application/json" : NULL;
}

CUSTOS_API int custos_decision_retry_after(const custos_decision_t *d) { return d ? d->retry_after : 0; }

CUSTOS_API void custos_decision_free(custos_decision_t *d) {
  if (!d) return;
  free(d->body);
  free(d);
}

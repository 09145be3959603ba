/*
 * fuzz_json — jbody_parse, every getter, and the error renderer on
 * arbitrary bytes. Beyond "no crash, no leak, no UB" it checks:
 *  - NULL comes back exactly when an error is set, with a 4xx/500 status,
 *    a code and a message; an object comes back with no error;
 *  - a body accepted under tight limits is accepted under the defaults;
 *  - getter failures are 400 and name the member they were asked about;
 *  - every rendered error body is itself valid JSON (so valid UTF-8).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "http/render.h"

#define CHECK(x) \
  do {           \
    if (!(x)) abort(); \
  } while (0)

static void check_rendered(const cerr_t *e) {
  buf_t out;
  buf_init(&out, 0);
  CHECK(render_for_profile(NULL)(e, "req_fuzz", &out) == 0);
  json_error_t je;
  json_t *j = json_loadb(out.data, out.len, 0, &je);
  CHECK(j != NULL);
  json_decref(j);
  buf_cleanup(&out);
}

static void check_getter_error(int rc, const cerr_t *e, const char *name) {
  if (rc == 0) return;
  CHECK(rc == -1);
  CHECK(e->status == 400);
  CHECK(strncmp(e->field, name, CERR_FIELD_MAX - 1) == 0);
  check_rendered(e);
}

static void poke(const json_t *obj, const char *name, int depth) {
  cerr_t e;
  const char *s = NULL;
  int64_t i = 0;
  bool b = false;
  json_t *o = NULL, *a = NULL;

  cerr_clear(&e);
  int rc = jbody_str(obj, name, true, 4, &s, &e);
  check_getter_error(rc, &e, name);
  if (rc == 0) CHECK(s && strlen(s) <= 4);
  check_getter_error(jbody_str_len(obj, name, false, 1, 0, &s, &e), &e, name);
  rc = jbody_int(obj, name, true, -10, 10, &i, &e);
  check_getter_error(rc, &e, name);
  if (rc == 0) CHECK(i >= -10 && i <= 10);
  check_getter_error(jbody_bool(obj, name, false, &b, &e), &e, name);
  check_getter_error(jbody_array(obj, name, true, 2, &a, &e), &e, name);
  rc = jbody_obj(obj, name, true, &o, &e);
  check_getter_error(rc, &e, name);
  if (rc == 0 && depth < 2) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) poke(o, k, depth + 1);
  }
}

static json_t *parse_checked(const uint8_t *data, size_t size, const jbody_limits_t *lim) {
  cerr_t e;
  cerr_clear(&e);
  json_t *root = jbody_parse((const char *)data, size, lim, &e);
  if (!root) {
    CHECK(e.status == 400 || e.status == 413 || e.status == 500);
    CHECK(e.code && e.code[0]);
    CHECK(e.message[0]);
    check_rendered(&e);
    return NULL;
  }
  CHECK(!cerr_is_set(&e));
  CHECK(json_is_object(root));
  return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const jbody_limits_t tight = {.max_bytes = 4096, .max_depth = 4, .max_string = 8};
  static const char *const allowed[] = {"a", "name", NULL};
  static const char *const names[] = {"a", "name", "", "n", "o"};

  json_t *small = parse_checked(data, size, &tight);
  json_t *root = parse_checked(data, size, NULL);
  CHECK(!small || root); /* tighter limits never accept more */
  json_decref(small);
  if (!root) return 0;

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) poke(root, names[i], 0);
  const char *k;
  json_t *v;
  json_object_foreach(root, k, v) poke(root, k, 0);

  cerr_t e;
  cerr_clear(&e);
  if (jbody_reject_unknown(root, allowed, &e) != 0) {
    CHECK(e.status == 400);
    CHECK(strcmp(e.code, CERR_INVALID_FIELD) == 0);
    check_rendered(&e);
  }
  json_decref(root);
  return 0;
}

/*
 * Route policies: pattern validity and matching (table-driven), first match
 * wins, and the loader's problems with their lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "custos.h"
#include "perm/policy.h"

static void test_policy_pattern_validity(void **s) {
  (void)s;
  static const struct { const char *p; bool ok; } T[] = {
      {"/", true}, {"/a", true}, {"/a/b", true}, {"/a/*", true}, {"/*/b", true}, {"/a/**", true}, {"/**", true},
      {"", false}, {"a", false}, {"/a/", false}, {"//a", false}, {"/a//b", false}, {"/a*", false}, {"/*a", false},
      {"/**/a", false}, {"/a/***", false}, {"/a?b", false}, {"/a#b", false}, {"/a b", false}, {"/a%20b", false},
      {"/a/../b", false}, {"/./b", false}, {"/a\tb", false},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
    char why[128];
    if (policy_pattern_valid(T[i].p, why, sizeof why) != T[i].ok) fail_msg("'%s': want %d", T[i].p, T[i].ok);
  }
}

static void test_policy_pattern_matching(void **s) {
  (void)s;
  static const struct { const char *pat, *path; bool want; } T[] = {
      {"/", "/", true},          {"/", "/a", false},          {"/a", "/a", true},        {"/a", "/a/", false},
      {"/a", "/ab", false},      {"/a", "/", false},          {"/a/*", "/a/b", true},    {"/a/*", "/a", false},
      {"/a/*", "/a/", false},    {"/a/*", "/a/b/c", false},   {"/*/c", "/x/c", true},    {"/*/c", "//c", false},
      {"/a/**", "/a", true},     {"/a/**", "/a/", true},      {"/a/**", "/a/b/c", true}, {"/a/**", "/ab", false},
      {"/a/**", "/b/a", false},  {"/**", "/", true},          {"/**", "/x/y", true},     {"/a/*/c/**", "/a/b/c", true},
      {"/a/*/c/**", "/a/b/d", false}, {"/a/b", "/a/b/", false}, {"/a/b", "/a//b", false},
  };
  for (size_t i = 0; i < sizeof T / sizeof *T; i++)
    if (policy_pattern_match(T[i].pat, T[i].path) != T[i].want)
      fail_msg("'%s' vs '%s': want %d", T[i].pat, T[i].path, T[i].want);
}

static const char GOOD[] = "routes:\n"
                           "  - match: \"* /api/admin/**\"\n"
                           "    profile: thelayer\n"
                           "    class: admin\n"
                           "  - match: GET /api/**\n"
                           "    profile: thelayer\n"
                           "    scopes: [CORE_ACCESS, X]\n"
                           "  - match: POST /api/*/items\n"
                           "    profile: thelayer\n"
                           "    class: write\n";

static void test_policy_first_match_wins(void **s) {
  (void)s;
  config_problems_t p;
  config_problems_init(&p);
  policy_set_t *ps = NULL;
  assert_int_equal(policy_parse(GOOD, strlen(GOOD), "t", &ps, &p), CUSTOS_OK);
  assert_int_equal(policy_count(ps), 3);
  const route_policy_t *r = policy_match(ps, "GET", "/api/admin/x");
  assert_non_null(r);
  assert_string_equal(r->route_class, "admin");
  assert_int_equal(r->line, 2);
  r = policy_match(ps, "GET", "/api/x");
  assert_non_null(r);
  assert_string_equal(r->route_class, "");
  assert_string_equal(r->scopes, "CORE_ACCESS X");
  r = policy_match(ps, "POST", "/api/7/items");
  assert_non_null(r);
  assert_string_equal(r->route_class, "write");
  assert_null(policy_match(ps, "POST", "/api/7/other"));
  assert_null(policy_match(ps, "HEAD", "/api/x")); /* methods compare exactly */
  assert_null(policy_match(ps, "GET", "/other"));
  assert_null(policy_match(NULL, "GET", "/api/x"));
  policy_free(ps);
}

static void test_policy_reports_every_problem_with_its_line(void **s) {
  (void)s;
  static const char BAD[] = "routes:\n"
                            "  - match: GIT /a\n"       /* 2 */
                            "    profile: thelayer\n"
                            "  - match: GET /a/b*\n"    /* 4 */
                            "    profile: nope\n"       /* 5 */
                            "    colour: red\n"         /* 6 */
                            "  - match: GET\n"          /* 7 */
                            "    profile: thelayer\n"
                            "    class: root\n"         /* 9 */
                            "    scopes: [A, A, 'b c']\n" /* 10 */
                            "  - profile: thelayer\n"   /* 11: no match */
                            "other: 1\n";               /* 12 */
  config_problems_t p;
  config_problems_init(&p);
  policy_set_t *ps = (policy_set_t *)0x1;
  assert_int_equal(policy_parse(BAD, strlen(BAD), "bad", &ps, &p), CUSTOS_EINVAL);
  assert_ptr_equal(ps, (policy_set_t *)0x1); /* untouched */
  static const int LINES[] = {2, 4, 5, 6, 7, 9, 10, 10, 11, 12};
  assert_int_equal(p.count, sizeof LINES / sizeof *LINES);
  for (size_t i = 0; i < p.count; i++)
    if (p.items[i].line != LINES[i]) fail_msg("problem %zu at line %d (%s), want %d", i, p.items[i].line, p.items[i].message, LINES[i]);
  config_problems_init(&p);
  assert_int_equal(policy_parse("", 0, "empty", &ps, &p), CUSTOS_EINVAL);
  config_problems_init(&p);
  assert_int_equal(policy_parse("routes: []\n", 11, "none", &ps, &p), CUSTOS_OK);
  assert_int_equal(policy_count(ps), 0);
  policy_free(ps);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policy_pattern_validity),
      cmocka_unit_test(test_policy_pattern_matching),
      cmocka_unit_test(test_policy_first_match_wins),
      cmocka_unit_test(test_policy_reports_every_problem_with_its_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

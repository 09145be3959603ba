#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/masterkey.h"
#include "custos.h"

static const char HEX[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

typedef struct fixture {
  char dir[64];
  char path[128];
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/custos-mk-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/master.key", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  unlink(f->path);
  rmdir(f->dir);
  free(f);
  return 0;
}

static void write_file(const char *path, const char *content, size_t len, mode_t mode) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, content, len), (ssize_t)len);
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

static void test_masterkey_from_hex(void **state) {
  (void)state;
  unsigned char key[MASTERKEY_LEN], want[MASTERKEY_LEN];
  for (int i = 0; i < MASTERKEY_LEN; i++) want[i] = (unsigned char)i;
  assert_int_equal(masterkey_from_hex(HEX, key), CUSTOS_OK);
  assert_memory_equal(key, want, sizeof key);
  assert_int_equal(masterkey_from_hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", key),
                   CUSTOS_OK);
  assert_memory_equal(key, want, sizeof key);

  memset(key, 0xAA, sizeof key);
  assert_int_equal(masterkey_from_hex(HEX + 1, key), CUSTOS_EINVAL);                /* 63 */
  assert_int_equal(masterkey_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0",
                                      key),
                   CUSTOS_EINVAL);                                                  /* 65 */
  assert_int_equal(masterkey_from_hex("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                      key),
                   CUSTOS_EINVAL);
  assert_int_equal(masterkey_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1 ",
                                      key),
                   CUSTOS_EINVAL);
  assert_int_equal(masterkey_from_hex("", key), CUSTOS_EINVAL);
  assert_int_equal(masterkey_from_hex(NULL, key), CUSTOS_EINVAL);
  for (int i = 0; i < MASTERKEY_LEN; i++) assert_int_equal(key[i], 0xAA); /* untouched */
}

static void test_masterkey_create_then_reload(void **state) {
  fixture_t *f = *state;
  unsigned char k1[MASTERKEY_LEN], k2[MASTERKEY_LEN], k3[MASTERKEY_LEN];
  char err[256] = "";
  assert_int_equal(masterkey_load_or_create(f->path, true, k1, err, sizeof err), CUSTOS_OK);

  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(st.st_size, 65);

  char line[80] = {0};
  FILE *fp = fopen(f->path, "r");
  assert_non_null(fp);
  assert_int_equal(fread(line, 1, sizeof line, fp), 65);
  fclose(fp);
  assert_int_equal(line[64], '\n');
  line[64] = '\0';
  assert_int_equal(strspn(line, "0123456789abcdef"), 64);
  assert_int_equal(masterkey_from_hex(line, k3), CUSTOS_OK);
  assert_memory_equal(k1, k3, sizeof k1);

  /* Reload, with and without create: the same key, file unchanged. */
  assert_int_equal(masterkey_load_or_create(f->path, false, k2, err, sizeof err), CUSTOS_OK);
  assert_memory_equal(k1, k2, sizeof k1);
  assert_int_equal(masterkey_load_or_create(f->path, true, k2, err, sizeof err), CUSTOS_OK);
  assert_memory_equal(k1, k2, sizeof k1);

  /* No temporary file left behind: the directory holds master.key only. */
  DIR *d = opendir(f->dir);
  assert_non_null(d);
  struct dirent *de;
  int entries = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    assert_string_equal(de->d_name, "master.key");
    entries++;
  }
  closedir(d);
  assert_int_equal(entries, 1);
}

static void test_masterkey_create_ignores_umask(void **state) {
  fixture_t *f = *state;
  unsigned char key[MASTERKEY_LEN];
  mode_t old = umask(0777);
  int rc = masterkey_load_or_create(f->path, true, key, NULL, 0);
  umask(old);
  assert_int_equal(rc, CUSTOS_OK);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_masterkey_missing_without_create(void **state) {
  fixture_t *f = *state;
  unsigned char key[MASTERKEY_LEN];
  char err[256], want[256];
  assert_int_equal(masterkey_load_or_create(f->path, false, key, err, sizeof err),
                   CUSTOS_ENOTFOUND);
  snprintf(want, sizeof want, "master key file %s does not exist", f->path);
  assert_string_equal(err, want);
  assert_int_equal(access(f->path, F_OK), -1);
}

static void test_masterkey_refuses_group_or_other_access(void **state) {
  fixture_t *f = *state;
  static const mode_t MODES[] = {0644, 0640, 0604, 0660, 0601, 0610};
  unsigned char key[MASTERKEY_LEN];
  char err[256], want[256];
  char content[66];
  snprintf(content, sizeof content, "%s\n", HEX);
  for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
    write_file(f->path, content, 65, MODES[i]);
    memset(key, 0xAA, sizeof key);
    assert_int_equal(masterkey_load_or_create(f->path, true, key, err, sizeof err),
                     CUSTOS_EINVAL);
    snprintf(want, sizeof want, "master key file %s has mode %04o; chmod 600 it", f->path,
             (unsigned)MODES[i]);
    assert_string_equal(err, want);
    for (int b = 0; b < MASTERKEY_LEN; b++) assert_int_equal(key[b], 0xAA);
  }
  /* 0400 is fine. */
  write_file(f->path, content, 65, 0400);
  assert_int_equal(masterkey_load_or_create(f->path, false, key, err, sizeof err), CUSTOS_OK);
  assert_int_equal(key[31], 0x1f);
}

static void test_masterkey_refuses_bad_content(void **state) {
  fixture_t *f = *state;
  unsigned char key[MASTERKEY_LEN];
  char err[256], want_len[256], want_hex[256];
  snprintf(want_len, sizeof want_len,
           "master key file %s must hold exactly 64 hex characters and a newline", f->path);
  snprintf(want_hex, sizeof want_hex, "master key file %s contains a non-hex character",
           f->path);
  static const struct {
    const char *what, *content;
    int is_hex_error;
  } BAD[] = {
      {"empty", "", 0},
      {"63 chars", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n", 0},
      {"65 chars", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0\n", 0},
      {"two newlines", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n", 0},
      {"CRLF", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n", 0},
      {"non-hex", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n", 1},
      {"space inside", "0001020304050607 8090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 1},
  };
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    print_message("case: %s\n", BAD[i].what);
    write_file(f->path, BAD[i].content, strlen(BAD[i].content), 0600);
    assert_int_equal(masterkey_load_or_create(f->path, true, key, err, sizeof err),
                     CUSTOS_EINVAL);
    assert_string_equal(err, BAD[i].is_hex_error ? want_hex : want_len);
  }
  /* Without the trailing newline is accepted. */
  write_file(f->path, HEX, 64, 0600);
  assert_int_equal(masterkey_load_or_create(f->path, false, key, err, sizeof err), CUSTOS_OK);
  assert_int_equal(key[0], 0x00);
  assert_int_equal(key[31], 0x1f);
}

static void test_masterkey_refuses_non_regular_file(void **state) {
  fixture_t *f = *state;
  unsigned char key[MASTERKEY_LEN];
  char err[256], want[256];
  assert_int_equal(mkdir(f->path, 0700), 0);
  assert_int_equal(masterkey_load_or_create(f->path, true, key, err, sizeof err), CUSTOS_EINVAL);
  snprintf(want, sizeof want, "master key file %s is not a regular file", f->path);
  assert_string_equal(err, want);
  rmdir(f->path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_masterkey_from_hex),
      cmocka_unit_test_setup_teardown(test_masterkey_create_then_reload, setup, teardown),
      cmocka_unit_test_setup_teardown(test_masterkey_create_ignores_umask, setup, teardown),
      cmocka_unit_test_setup_teardown(test_masterkey_missing_without_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_masterkey_refuses_group_or_other_access, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_masterkey_refuses_bad_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_masterkey_refuses_non_regular_file, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

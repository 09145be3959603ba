#include "core/masterkey.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/rand.h"
#include "custos.h"

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

int masterkey_from_hex(const char *hex, unsigned char key[MASTERKEY_LEN]) {
  unsigned char tmp[MASTERKEY_LEN];
  int rc = CUSTOS_EINVAL;
  if (!hex || strnlen(hex, MASTERKEY_HEX_LEN + 1) != MASTERKEY_HEX_LEN) return CUSTOS_EINVAL;
  for (size_t i = 0; i < MASTERKEY_LEN; i++) {
    int hi = hex_digit((unsigned char)hex[2 * i]), lo = hex_digit((unsigned char)hex[2 * i + 1]);
    if (hi < 0 || lo < 0) goto out;
    tmp[i] = (unsigned char)(hi << 4 | lo);
  }
  memcpy(key, tmp, MASTERKEY_LEN);
  rc = CUSTOS_OK;
out:
  OPENSSL_cleanse(tmp, sizeof tmp);
  return rc;
}

/* read(2) until `cap` bytes or EOF; returns the count or -1. */
static ssize_t read_upto(int fd, char *p, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, p + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int load(const char *path, unsigned char key[MASTERKEY_LEN], char *err, size_t errlen) {
  /* One byte more than a valid file, to tell "too long" from "exact". */
  char line[MASTERKEY_HEX_LEN + 2];
  int rc;
  /* O_NONBLOCK so a FIFO planted at the path is refused below instead of
   * blocking startup; it has no effect on regular files. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT)
      return fail(CUSTOS_ENOTFOUND, err, errlen, "master key file %s does not exist", path);
    return fail(CUSTOS_EIO, err, errlen, "cannot open master key file %s: %s", path,
                strerror(errno));
  }
  /* fstat the open descriptor, not the path, so the file checked is the
   * file read. Symlinks are followed on purpose: secret mounts use them. */
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot stat master key file %s: %s", path,
              strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = fail(CUSTOS_EINVAL, err, errlen, "master key file %s is not a regular file", path);
    goto out;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    rc = fail(CUSTOS_EINVAL, err, errlen, "master key file %s has mode %04o; chmod 600 it", path,
              (unsigned)(st.st_mode & 07777));
    goto out;
  }
  ssize_t n = read_upto(fd, line, sizeof line);
  if (n < 0) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot read master key file %s: %s", path,
              strerror(errno));
    goto out;
  }
  if (n == MASTERKEY_HEX_LEN + 1 && line[MASTERKEY_HEX_LEN] == '\n') n--;
  /* A newline inside means a short key plus newline, a length problem. */
  if (n != MASTERKEY_HEX_LEN || memchr(line, '\n', (size_t)n)) {
    rc = fail(CUSTOS_EINVAL, err, errlen,
              "master key file %s must hold exactly %d hex characters and a newline", path,
              MASTERKEY_HEX_LEN);
    goto out;
  }
  line[MASTERKEY_HEX_LEN] = '\0';
  if (masterkey_from_hex(line, key) != CUSTOS_OK) {
    rc = fail(CUSTOS_EINVAL, err, errlen, "master key file %s contains a non-hex character",
              path);
    goto out;
  }
  rc = CUSTOS_OK;
out:
  OPENSSL_cleanse(line, sizeof line);
  close(fd);
  return rc;
}

/* fsync the directory holding `path` so the new name survives a crash.
 * EINVAL means the filesystem has no directory fsync; nothing to do. */
static int sync_parent_dir(const char *path) {
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(dir, sizeof dir, ".");
  } else if (slash == path) {
    snprintf(dir, sizeof dir, "/");
  } else {
    int n = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= sizeof dir) return -1;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
  close(fd);
  return rc;
}

static int create(const char *path, unsigned char key[MASTERKEY_LEN], char *err, size_t errlen) {
  static const char HEX[] = "0123456789abcdef";
  unsigned char fresh[MASTERKEY_LEN];
  char line[MASTERKEY_HEX_LEN + 1];
  char tmp[PATH_MAX], suffix[13];
  int rc, fd = -1;
  bool linked = false, tmp_made = false;

  if (rand_bytes(fresh, sizeof fresh) || rand_base62(suffix, sizeof suffix - 1)) {
    rc = fail(CUSTOS_ECRYPTO, err, errlen, "no randomness for a new master key");
    goto out;
  }
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.%s", path, suffix);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    rc = fail(CUSTOS_EINVAL, err, errlen, "master key path %s is too long", path);
    goto out;
  }
  for (size_t i = 0; i < MASTERKEY_LEN; i++) {
    line[2 * i] = HEX[fresh[i] >> 4];
    line[2 * i + 1] = HEX[fresh[i] & 15];
  }
  line[MASTERKEY_HEX_LEN] = '\n';

  /* O_EXCL|O_NOFOLLOW: never write through something planted at the
   * temporary name. fchmod because the umask could have narrowed 0600
   * below what the owner needs to read it back. */
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    goto out;
  }
  tmp_made = true;
  if (fchmod(fd, 0600) != 0 || write_all(fd, line, sizeof line) != 0 || fsync(fd) != 0) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  if (close(fd) != 0) {
    fd = -1;
    rc = fail(CUSTOS_EIO, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  fd = -1;

  /* link(2), unlike rename(2), fails if the name exists: a concurrent
   * creator's key is never replaced after it may have sealed data. */
  if (link(tmp, path) == 0) {
    linked = true;
  } else if (errno != EEXIST) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot create master key file %s: %s", path,
              strerror(errno));
    goto out;
  }
  if (linked && sync_parent_dir(path) != 0) {
    rc = fail(CUSTOS_EIO, err, errlen, "cannot sync the directory of %s: %s", path,
              strerror(errno));
    goto out;
  }
  if (linked) {
    memcpy(key, fresh, MASTERKEY_LEN);
    rc = CUSTOS_OK;
  } else {
    rc = load(path, key, err, errlen); /* lost the race: use the winner's key */
  }

out:
  if (fd >= 0) close(fd);
  if (tmp_made) unlink(tmp);
  OPENSSL_cleanse(fresh, sizeof fresh);
  OPENSSL_cleanse(line, sizeof line);
  return rc;
}

int masterkey_load_or_create(const char *path, bool create_if_missing,
                             unsigned char key[MASTERKEY_LEN], char *err, size_t errlen) {
  if (!path || !*path) return fail(CUSTOS_EINVAL, err, errlen, "no master key file given");
  int rc = load(path, key, err, errlen);
  if (rc == CUSTOS_ENOTFOUND && create_if_missing) rc = create(path, key, err, errlen);
  return rc;
}

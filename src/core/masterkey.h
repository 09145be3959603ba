/*
 * masterkey.h — the 32-byte key that seals secrets at rest (core/seal.h).
 *
 * On disk the key is one line: 64 hex characters and a newline, in a file
 * only its owner may read. These functions only load, validate and create
 * that file; whether the server may start without a key (it may not in
 * production) is the server's policy, not decided here.
 *
 * The key is a secret: callers keep it in memory they OPENSSL_cleanse when
 * done, and never log it.
 */
#ifndef CUSTOS_CORE_MASTERKEY_H
#define CUSTOS_CORE_MASTERKEY_H

#include <stdbool.h>
#include <stddef.h>

#define MASTERKEY_LEN 32                     /* bytes */
#define MASTERKEY_HEX_LEN (2 * MASTERKEY_LEN) /* chars, without newline */

/*
 * Parses exactly MASTERKEY_HEX_LEN hex digits (either case; files are
 * written in lower case) from the NUL-terminated `hex` into `key`.
 * Returns CUSTOS_OK, or CUSTOS_EINVAL for a wrong length or a non-hex
 * character; `key` is written only on success.
 */
int masterkey_from_hex(const char *hex, unsigned char key[MASTERKEY_LEN])
    __attribute__((warn_unused_result));

/*
 * Loads the master key from `path` into `key`.
 *
 * The file must be a regular file whose mode grants nothing to group or
 * others, holding 64 hex digits optionally followed by one "\n". Anything
 * else is refused with a message naming the path and the fix, e.g.
 * "master key file /etc/custos/master.key has mode 0644; chmod 600 it".
 *
 * When the file does not exist and `create_if_missing` is true, a new
 * random key is written there: to a temporary file opened O_EXCL with mode
 * 0600, fsync'd, then hard-linked into place so that two processes racing
 * to create it cannot overwrite each other's key (rename would); the loser
 * loads the winner's key. The directory is fsync'd too.
 *
 * Returns CUSTOS_OK; CUSTOS_ENOTFOUND (missing and !create_if_missing);
 * CUSTOS_EINVAL (bad mode, length or content); CUSTOS_EIO (open, read,
 * write failures); CUSTOS_ECRYPTO (no randomness). On failure `key` is
 * untouched and, if `err` is not NULL, a NUL-terminated message fit for an
 * operator (never containing key material) is written to err[errlen].
 * Thread-safe; the mode does not depend on the umask.
 */
int masterkey_load_or_create(const char *path, bool create_if_missing,
                             unsigned char key[MASTERKEY_LEN], char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
